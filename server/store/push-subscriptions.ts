import webpush from 'web-push';
import { type PushTarget, type PushTargets, preferenceKey } from '../realtime/web-push.ts';
import { type Database, sqlTime } from './db.ts';

/**
 * Browsers' Web Push subscriptions, and the VAPID keys the server signs its pushes with. A
 * subscription belongs to the user who registered it last: registering an endpoint again updates
 * its keys and moves it to that user. A user keeps at most `maxPerUser`: registering one more
 * replaces the one registered (or re-registered) longest ago.
 */
export interface PushSubscriptions extends PushTargets {
  register(userId: string, subscription: NewPushSubscription, maxPerUser: number): Promise<void>;
  /** Removes the user's subscription with this endpoint; false when the user has none (whoever else may). */
  unregister(userId: string, endpoint: string): Promise<boolean>;
}

export interface NewPushSubscription {
  endpoint: string;
  p256dh: string;
  auth: string;
}

/** Sends to one subscription that failed this many times in a row remove it: its browser is gone. */
const maxFailures = 10;

/** How many user ids one query takes. */
const chunk = 1_000;

export function createPushSubscriptions({ prisma }: Database): PushSubscriptions {
  return {
    async register(userId, { endpoint, p256dh, auth }, maxPerUser) {
      const now = new Date();
      const data = { userId, p256dh, auth, updatedAt: now, failures: 0, lastFailureAt: null };
      const upsert = () =>
        prisma.pushSubscription.upsert({ where: { endpoint }, create: { endpoint, ...data }, update: data });
      // Two registrations of one new endpoint at once: one creates, the other finds it taken; again updates.
      await upsert().catch((error: unknown) => {
        if ((error as { code?: string }).code === 'P2002') return upsert();
        throw error;
      });
      const surplus = await prisma.pushSubscription.findMany({
        where: { userId },
        orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
        skip: maxPerUser,
        select: { id: true },
      });
      if (surplus.length > 0) {
        await prisma.pushSubscription.deleteMany({ where: { id: { in: surplus.map((row) => row.id) } } });
      }
    },
    async unregister(userId, endpoint) {
      return (await prisma.pushSubscription.deleteMany({ where: { userId, endpoint } })).count > 0;
    },
    async subscriptionsOf(userIds) {
      const found: PushTarget[] = [];
      for (let i = 0; i < userIds.length; i += chunk) {
        found.push(
          ...(await prisma.pushSubscription.findMany({
            where: { userId: { in: userIds.slice(i, i + chunk) } },
            select: { id: true, userId: true, endpoint: true, p256dh: true, auth: true, failures: true },
          })),
        );
      }
      return found;
    },
    async pushOff(pairs) {
      const off = new Set<string>();
      const users = [...new Set(pairs.map((pair) => pair.userId))];
      const kinds = [...new Set(pairs.map((pair) => pair.kind))];
      for (let i = 0; i < users.length; i += chunk) {
        const rows = await prisma.kindPreference.findMany({
          where: { userId: { in: users.slice(i, i + chunk) }, kind: { in: kinds }, push: false },
          select: { userId: true, kind: true },
        });
        for (const row of rows) off.add(preferenceKey(row.userId, row.kind));
      }
      return off;
    },
    async remove(id) {
      await prisma.pushSubscription.deleteMany({ where: { id } });
    },
    async failed(id, at) {
      const updated = await prisma.pushSubscription.updateManyAndReturn({
        where: { id },
        data: { failures: { increment: 1 }, lastFailureAt: at },
        select: { failures: true },
      });
      if ((updated[0]?.failures ?? 0) >= maxFailures) await prisma.pushSubscription.deleteMany({ where: { id } });
      return (updated[0]?.failures ?? 0) >= maxFailures;
    },
    async succeeded(id) {
      await prisma.pushSubscription.updateMany({ where: { id }, data: { failures: 0, lastFailureAt: null } });
    },
  };
}

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

const vapidSetting = 'vapid';

/**
 * The VAPID keys generated for this database: made on first start and stored, or those another
 * instance stored first. Every instance inserts its own pair if none is stored and then reads the
 * stored one, so instances that start at once end up with the same keys.
 */
export async function storedVapidKeys({ sql }: Database): Promise<VapidKeys> {
  const made = webpush.generateVAPIDKeys();
  await sql.all(
    `INSERT INTO setting (key, value, "createdAt") VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING key`,
    vapidSetting,
    JSON.stringify(made),
    sqlTime(new Date()),
  );
  const row = await sql.one<{ value: string }>('SELECT value FROM setting WHERE key = ?', vapidSetting);
  if (!row) throw new Error('the stored VAPID keys could not be read back');
  const stored = JSON.parse(row.value) as VapidKeys;
  return { publicKey: stored.publicKey, privateKey: stored.privateKey };
}
