import { randomFillSync } from 'node:crypto';
import type { Notification, Prisma } from '../generated/prisma/sqlite/client.ts';
import type { Metrics } from '../metrics.ts';
import type { KindPreference, NotificationAction, NotificationCounts } from '../realtime/events.ts';
import type { NotificationPubSub } from '../realtime/pubsub.ts';
import {
  countsByKind,
  countsOf,
  type KindCountRow,
  type PositionRow,
  positionAndInbox,
  storedCounts,
} from './counts.ts';
import type { Database } from './db.ts';
import { NoSuchRecipient } from './errors.ts';
import { type BulkOp, EventLog, type PreferenceChange, type PreferenceRow, preferenceDefaults } from './event-log.ts';
import type { Update } from './inbox.ts';
import { createPostgresEngine } from './postgres.ts';
import { createSqliteEngine } from './sqlite.ts';

export interface NewNotification {
  recipientId: string;
  title: string;
  body?: string | null;
  kind?: string | null;
  url?: string | null;
  data?: Prisma.InputJsonValue | null;
  actions?: NotificationAction[] | null;
  expiresAt?: Date | null;
  groupKey?: string | null;
  batchId?: string | null;
  /** Who sends it, for their receipts: "user:<id>" or "key:<id>". */
  sender?: string | null;
}

/** What a notification sent to many recipients did (createNotifications). */
export interface SentToMany {
  batchId: string;
  /** Recipients whose notification arrived in-app. */
  count: number;
  /** Recipients who muted its kind: theirs was stored archived. */
  skipped: number;
}

export interface MarkAllReadResult {
  readAt: Date;
  count: number;
}

/**
 * Every write to notifications, as the schema calls them. Each is one change appended to the
 * recipient's event log (event-log.ts): written with its event in one transaction, published after
 * it committed; the rules of each are in inbox.ts. Refusals are the store's own errors (errors.ts):
 * NotFound, NoSuchRecipient, UnknownAction. A write that changes nothing (marking a read
 * notification read, or all read when none is unread) logs no event and answers as things are.
 */
export interface NotificationService {
  create(input: NewNotification): Promise<Notification>;
  /**
   * Sends one notification to each recipient, each their own (fan-out on write): every change goes
   * through the event log like any other and shares its group commits. Recipients deleted
   * meanwhile are left out of both counts.
   */
  createMany(
    input: Omit<NewNotification, 'recipientId' | 'batchId'>,
    recipientIds: readonly string[],
  ): Promise<SentToMany>;
  /** Read, unread, archive, unarchive, snooze, unsnooze, act on one of the user's notifications (see inbox.ts). */
  update(userId: string, id: string, update: Update): Promise<Notification>;
  markRead(userId: string, id: string): Promise<Notification>;
  markAllRead(userId: string): Promise<MarkAllReadResult>;
  markAllSeen(userId: string): Promise<{ seenAt: Date; count: number }>;
  archiveRead(userId: string): Promise<{ archivedAt: Date; count: number }>;
  delete(userId: string, id: string): Promise<string>;
  /** The user's counts as they are now (read outside the log: a stream's events carry them as of each event). */
  counts(userId: string): Promise<NotificationCounts>;
  /** One per kind the user has received or set, in kind order; defaults where none is set. */
  preferences(userId: string): Promise<KindPreference[]>;
  /** Changes the settings given of one kind (NotificationPreferenceChanged); a critical kind stays unmuted. */
  setPreference(userId: string, change: PreferenceChange): Promise<KindPreference>;
  isCritical(kind: string): boolean;
}

export interface NotificationServiceOptions {
  metrics?: Metrics;
  /** Told when a snooze or an expiry was scheduled (timers.ts sweeps then). */
  onScheduled?: (at: Date) => void;
  /** Kinds no one may mute (TIDINGS_CRITICAL_KINDS). */
  criticalKinds?: readonly string[];
}

export function createNotificationService(
  db: Database,
  pubsub: NotificationPubSub,
  { metrics, onScheduled = () => undefined, criticalKinds = ['security'] }: NotificationServiceOptions = {},
): NotificationService {
  const engine = db.sql.engine === 'sqlite' ? createSqliteEngine(db.sql) : createPostgresEngine(db.sql);
  const log = new EventLog({ engine, pubsub, metrics });
  const ids = new IdMaker();
  const critical = new Set(criticalKinds);
  const update = async (userId: string, id: string, update: Update) => {
    const notification = await log.append({ kind: 'update', userId, id, at: new Date(), update });
    if (update.op === 'snooze' && notification.snoozedUntil) onScheduled(notification.snoozedUntil);
    return notification;
  };
  const bulk = (userId: string, op: BulkOp) => log.append({ kind: 'bulk', userId, at: new Date(), op });
  return {
    create: async (input) => {
      const notification = await log.append({ kind: 'create', notification: newNotification(ids.next(), input) });
      if (notification.expiresAt) onScheduled(notification.expiresAt);
      return notification;
    },
    async createMany(input, recipientIds) {
      const batchId = ids.next();
      const results = await Promise.allSettled(
        [...new Set(recipientIds)].map((recipientId) =>
          log.append(
            { kind: 'create', notification: newNotification(ids.next(), { ...input, recipientId, batchId }) },
            { bulk: true },
          ),
        ),
      );
      let count = 0;
      let skipped = 0;
      for (const result of results) {
        if (result.status === 'rejected') {
          if (result.reason instanceof NoSuchRecipient) continue;
          throw result.reason;
        }
        if (result.value.archivedAt) skipped++;
        else count++;
      }
      if (input.expiresAt) onScheduled(input.expiresAt);
      return { batchId, count, skipped };
    },
    update,
    markRead: (userId, id) => update(userId, id, { op: 'read' }),
    markAllRead: async (userId) => {
      const { at, count } = await bulk(userId, 'readAll');
      return { readAt: at, count };
    },
    markAllSeen: async (userId) => {
      const { at, count } = await bulk(userId, 'seeAll');
      return { seenAt: at, count };
    },
    archiveRead: async (userId) => {
      const { at, count } = await bulk(userId, 'archiveRead');
      return { archivedAt: at, count };
    },
    delete: (userId, id) => log.append({ kind: 'delete', userId, id, at: new Date() }),
    counts: async (userId) =>
      storedCounts(await db.sql.one<PositionRow>(positionAndInbox, userId)) ??
      countsOf(await db.sql.all<KindCountRow>(countsByKind, userId)),
    async preferences(userId) {
      const [stored, received] = await Promise.all([
        db.prisma.kindPreference.findMany({
          where: { userId },
          select: { kind: true, inApp: true, push: true, desktop: true, sound: true },
        }),
        db.prisma.notification.findMany({ where: { recipientId: userId }, distinct: ['kind'], select: { kind: true } }),
      ]);
      const byKind = new Map<string, PreferenceRow>(
        received.map(({ kind }) => [kind, { kind, ...preferenceDefaults }]),
      );
      for (const row of stored) byKind.set(row.kind, row);
      return [...byKind.values()]
        .sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0))
        .map((row) => ({ ...row, inApp: row.inApp || critical.has(row.kind), critical: critical.has(row.kind) }));
    },
    setPreference: (userId, set) =>
      log.append({ kind: 'preference', userId, at: new Date(), set, critical: critical.has(set.kind) }),
    isCritical: (kind) => critical.has(kind),
  };
}

function newNotification(id: string, input: NewNotification): Notification {
  return {
    id,
    recipientId: input.recipientId,
    title: input.title,
    body: input.body ?? null,
    kind: input.kind ?? 'info',
    url: input.url ?? null,
    data: (input.data ?? null) as Notification['data'],
    readAt: null,
    createdAt: new Date(),
    seenAt: null,
    archivedAt: null,
    snoozedUntil: null,
    expiresAt: input.expiresAt ?? null,
    expiredAt: null,
    actions: input.actions?.length ? (input.actions as unknown as Notification['actions']) : null,
    actedAt: null,
    actionId: null,
    groupKey: input.groupKey ?? null,
    groupCount: 1,
    batchId: input.batchId ?? null,
    sender: input.sender ?? null,
    deletedAt: null,
  };
}

/**
 * Collision-resistant ids in the shape of Prisma's cuid(): "c", the time in base 36, a counter,
 * and random characters; ids made later by one maker sort after earlier ones.
 */
class IdMaker {
  #counter = Math.floor(Math.random() * 1_679_616);
  // Random bytes drawn 4 KiB at a time: one call into the system's generator per id was about a
  // twentieth of a notification's CPU.
  readonly #random = Buffer.alloc(4096);
  #randomAt = this.#random.length;

  next(): string {
    this.#counter = (this.#counter + 1) % 1_679_616;
    return `c${Date.now().toString(36).padStart(8, '0')}${this.#counter.toString(36).padStart(4, '0')}${this.#randomHex()}`;
  }

  /** Twelve random hex characters. */
  #randomHex(): string {
    if (this.#randomAt + 6 > this.#random.length) {
      randomFillSync(this.#random);
      this.#randomAt = 0;
    }
    this.#randomAt += 6;
    return this.#random.toString('hex', this.#randomAt - 6, this.#randomAt);
  }
}
