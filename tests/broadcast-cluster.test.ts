import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, signUp } from './helpers/auth.ts';
import { provider } from './helpers/database.ts';
import { gql } from './helpers/graphql.ts';
import { type RedisProcess, redisUnavailable, startRedis } from './helpers/processes.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { subscribe, type TestSubscription } from './helpers/sse.ts';

// A broadcast to 10,000 users, sent through two instances at once on one PostgreSQL and a Redis of
// the test's own: tests/vitest.config.ts runs this file in the PostgreSQL project only.
const unavailable = redisUnavailable();
if (unavailable && process.env.CI === 'true') throw new Error(`CI=true and ${unavailable}`);
if (unavailable) process.stderr.write(`\n⚠ Skipping the two-instance broadcast test: ${unavailable}\n`);

describe.runIf(provider === 'postgresql' && !unavailable)('a broadcast to 10,000 users on two instances', () => {
  let redis: RedisProcess;
  let a: TestServer;
  let b: TestServer;
  const open: TestSubscription[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    a = await startServer({ redisUrl: redis.url });
    // B serves A's database (its own fresh one stays unused).
    b = await startServer({ redisUrl: redis.url, databaseUrl: a.config.databaseUrl });
  });
  afterAll(async () => {
    for (const subscription of open) subscription.dispose();
    await b?.dispose();
    await a?.dispose();
    await redis?.kill();
  });

  it('lands every notification and event exactly once, in each user’s order, on streams of both instances', async () => {
    // 9,992 made directly, and 8 who sign up and watch: 10,000, the most one send takes.
    const bulk = Array.from({ length: 9_992 }, (_, i) => `wide-${i}`);
    // In statements small enough that Prisma does not split one across concurrent queries on one
    // connection (node-postgres warns about that, once per process).
    for (let i = 0; i < bulk.length; i += 2_000) {
      await a.app.db.prisma.user.createMany({
        data: bulk.slice(i, i + 2_000).map((id) => ({ id, email: `${id}@example.com`, name: id })),
      });
    }
    const watchers = await Promise.all(Array.from({ length: 8 }, () => signUp(a)));
    const streams = watchers.map((watcher, i) => subscribe(i % 2 ? b : a, watcher.headers));
    open.push(...streams);
    for (const stream of streams) await stream.waitFor((event) => event.__typename === 'NotificationStreamReady');

    const recipientIds = [...bulk, ...watchers.map((watcher) => watcher.id)];
    const owner = await signUp(a);
    const send = async (server: TestServer, title: string) => {
      const key = await createApiKey(server, owner, ['notify:any']);
      return gql<{ createNotifications: { count: number; skipped: number } }>(
        server,
        'mutation ($input: CreateNotificationsInput!) { createNotifications(input: $input) { count skipped } }',
        { input: { title, recipientIds } },
        key,
      );
    };
    const [first, second] = await Promise.all([send(a, 'through A'), send(b, 'through B')]);
    expect(first.errors).toBeUndefined();
    expect(first.data?.createNotifications).toEqual({ count: 10_000, skipped: 0 });
    expect(second.data?.createNotifications).toEqual({ count: 10_000, skipped: 0 });

    const { prisma } = a.app.db;
    expect(await prisma.notification.count({ where: { recipientId: { startsWith: 'wide-' } } })).toBe(19_984);
    const perUser = await prisma.userEvent.groupBy({
      by: ['userId'],
      where: { userId: { startsWith: 'wide-' } },
      _count: { _all: true },
      _min: { seq: true },
      _max: { seq: true },
    });
    expect(perUser).toHaveLength(9_992);
    expect(perUser.filter((row) => row._count._all !== 2 || row._min.seq !== 1 || row._max.seq !== 2)).toEqual([]);

    // Every watcher's stream, on either instance, got both events once, in cursor order.
    for (const stream of streams) {
      const created = [
        await stream.waitFor((event) => event.__typename === 'NotificationCreated', 60_000),
        await stream.waitFor((event) => event.__typename === 'NotificationCreated', 60_000),
      ];
      expect(created.map((event) => event.cursor)).toEqual(['1', '2']);
      expect(created.map((event) => (event.notification as { title: string }).title).sort()).toEqual([
        'through A',
        'through B',
      ]);
      expect(created.map((event) => event.unreadCount)).toEqual([1, 2]);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const stream of streams) {
      expect(stream.pending().filter((event) => event.__typename === 'NotificationCreated')).toEqual([]);
    }
  }, 180_000);
});
