import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './helpers/auth.ts';
import { provider } from './helpers/database.ts';
import { notify } from './helpers/graphql.ts';
import { type RedisProcess, redisUnavailable, startRedis } from './helpers/processes.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { type StreamEventResult, subscribe, type TestSubscription } from './helpers/sse.ts';

// Two instances share one database and a Redis of the test's own (never the machine's shared
// one): tests/vitest.config.ts runs this file in the PostgreSQL project only.
const unavailable = redisUnavailable();
if (unavailable && process.env.CI === 'true') throw new Error(`CI=true and ${unavailable}`);
if (unavailable) process.stderr.write(`\n⚠ Skipping the Redis restart test: ${unavailable}\n`);

/** A stream's events as they arrive, heartbeats left out, and whether it ended. */
function record(subscription: TestSubscription) {
  const events: StreamEventResult[] = [];
  let ended: string | null = null;
  subscription.completed.then(
    () => {
      ended = 'completed';
    },
    (error: unknown) => {
      ended = `failed: ${String(error)}`;
    },
  );
  const pump = async () => {
    while (ended === null) {
      try {
        events.push(await subscription.waitFor((e) => e.__typename !== 'NotificationStreamHeartbeat', 60_000));
      } catch (error) {
        ended ??= `failed: ${String(error)}`;
      }
    }
  };
  void pump();
  return {
    /** The cursors of the logged events received, in arrival order. */
    cursors: () => events.filter((e) => !e.__typename.startsWith('NotificationStream')).map((e) => Number(e.cursor)),
    signals: () => events.filter((e) => e.__typename.startsWith('NotificationStream')).map((e) => e.__typename),
    ended: () => ended,
  };
}

describe.runIf(provider === 'postgresql' && !unavailable)('a Redis restart on PostgreSQL', () => {
  let redis: RedisProcess;
  let a: TestServer;
  let b: TestServer;
  const open: TestSubscription[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    a = await startServer({ redisUrl: redis.url, rateLimitPerMinute: 100_000 });
    // B serves A's database (its own fresh one stays unused).
    b = await startServer({ redisUrl: redis.url, rateLimitPerMinute: 100_000, databaseUrl: a.config.databaseUrl });
  });
  afterAll(async () => {
    for (const subscription of open) subscription.dispose();
    await b?.dispose();
    await a?.dispose();
    await redis?.kill();
  });

  const readyz = async (server: TestServer) => (await fetch(`${server.url}/readyz`)).status;

  it('keeps every stream open; each gets every event once, in order, the ones published during the outage through the catch-up', async () => {
    const alice = await signUp(a);
    const listen = (server: TestServer, mode: 'distinct' | 'single') => {
      const subscription = subscribe(server, alice.headers, mode);
      open.push(subscription);
      return record(subscription);
    };
    const streams = [listen(a, 'distinct'), listen(a, 'single'), listen(b, 'distinct'), listen(b, 'single')];
    await expect.poll(() => streams.map((s) => s.signals())).toEqual(Array(4).fill(['NotificationStreamReady']));
    // Every stream is subscribed in Redis before the burst starts.
    await expect.poll(() => [a, b].map((s) => s.app.streams.stats().totalConnections)).toEqual([2, 2]);

    let sent = 0;
    const send = async (server: TestServer, count: number) => {
      for (let i = 0; i < count; i++) await notify(server, alice.headers, { title: `burst ${++sent}` });
    };
    const all = () => Array.from({ length: sent }, (_, i) => i + 1);

    await send(a, 2);
    await send(b, 2);
    await expect.poll(() => streams.map((s) => s.cursors())).toEqual(Array(4).fill(all()));

    await redis.kill(); // SIGKILL, mid-burst
    await expect.poll(() => Promise.all([readyz(a), readyz(b)]), { timeout: 10_000 }).toEqual([503, 503]);
    // While Redis is down, each instance's own streams still get its events; the other's do not.
    await send(a, 2);
    await send(b, 3);

    await redis.restart();
    await expect.poll(() => Promise.all([readyz(a), readyz(b)]), { timeout: 15_000 }).toEqual([200, 200]);
    // No event follows yet: the ones the other instance published during the outage can only come
    // from the catch-up that reads the log after the reconnect.
    await expect.poll(() => streams.map((s) => s.cursors()), { timeout: 10_000 }).toEqual(Array(4).fill(all()));

    // Live again across instances: the subscriptions were made again in the new Redis.
    await send(a, 2);
    await send(b, 2);
    await expect.poll(() => streams.map((s) => s.cursors()), { timeout: 10_000 }).toEqual(Array(4).fill(all()));

    expect(streams.map((s) => s.ended())).toEqual([null, null, null, null]);
    expect(streams.map((s) => s.signals())).toEqual(Array(4).fill(['NotificationStreamReady']));
    expect([a, b].map((s) => s.app.streams.stats().totalConnections)).toEqual([2, 2]);
    for (const server of [a, b]) {
      expect(server.logs.filter((line) => line.msg === 'redis reconnected')).toHaveLength(1);
      expect(server.logs.filter((line) => line.level === 'error')).toEqual([]);
    }
  }, 60_000);
});
