import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, provider, type TestDatabase } from './helpers/database.ts';
import {
  type RedisProcess,
  redisUnavailable,
  type ServerProcess,
  startRedis,
  startServerProcess,
} from './helpers/processes.ts';

// Several instances share one database server: tests/vitest.config.ts runs this file in the
// PostgreSQL project only.
const unavailable = redisUnavailable();
if (unavailable && process.env.CI === 'true') throw new Error(`CI=true and ${unavailable}`);
if (unavailable) process.stderr.write(`\n⚠ Skipping the multi-instance tests: ${unavailable}\n`);

const secret = 'a-test-secret-that-is-at-least-32-characters';

interface Account {
  id: string;
  cookie: string;
}

async function signUp(url: string, name: string): Promise<Account> {
  const response = await fetch(`${url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${name}-${Date.now()}@example.com`, password: 'correct horse battery', name }),
  });
  if (!response.ok) throw new Error(`sign-up failed: ${response.status}`);
  const { user } = (await response.json()) as { user: { id: string } };
  const cookie = response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
  return { id: user.id, cookie };
}

async function post(url: string, cookie: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

const create = 'mutation($input: CreateNotificationInput!) { createNotification(input: $input) { id } }';
const events = /* GraphQL */ `
  subscription($after: String) {
    notificationEvents(after: $after) { __typename cursor unreadCount }
  }
`;

/**
 * A client as the web client behaves: it keeps the last cursor it applied and, when its stream
 * fails or ends, reconnects to the next instance with that cursor.
 */
function resumingClient(user: Account, urls: () => string[]) {
  const cursors: number[] = [];
  const resyncs: string[] = [];
  let last: string | null = null;
  let stopped = false;
  let attempt = 0;
  let dispose: () => void = () => undefined;
  let connected!: () => void;
  const firstReady = new Promise<void>((resolve) => {
    connected = resolve;
  });

  const connect = () => {
    if (stopped) return;
    const candidates = urls();
    const url = candidates[attempt++ % candidates.length] as string;
    const client = createClient({ url: `${url}/graphql`, headers: () => ({ cookie: user.cookie }), retryAttempts: 0 });
    const reconnect = () => {
      client.dispose();
      if (!stopped) setTimeout(connect, 100);
    };
    const unsubscribe = client.subscribe<{ notificationEvents: { __typename: string; cursor: string } }>(
      { query: events, variables: { after: last } },
      {
        next: ({ data }) => {
          const event = data?.notificationEvents;
          if (!event) return;
          if (event.__typename === 'NotificationStreamReady') connected();
          if (event.__typename === 'NotificationStreamResync') resyncs.push(event.cursor);
          if (!event.__typename.startsWith('NotificationStream')) cursors.push(Number(event.cursor));
          last = event.cursor;
        },
        error: reconnect,
        complete: reconnect,
      },
    );
    dispose = () => {
      unsubscribe();
      client.dispose();
    };
  };
  connect();
  return {
    cursors,
    resyncs,
    ready: firstReady,
    stop() {
      stopped = true;
      dispose();
    },
  };
}

describe.runIf(provider === 'postgresql' && !unavailable)('several instances on one PostgreSQL and Redis', () => {
  let database: TestDatabase;
  let redis: RedisProcess;
  let dataDir: string;
  const servers: ServerProcess[] = [];
  const start = async () => {
    const server = await startServerProcess({
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      BETTER_AUTH_SECRET: secret,
      TIDINGS_DATA_DIR: dataDir,
      TIDINGS_HEARTBEAT_MS: '1000',
      TIDINGS_RATE_LIMIT_PER_MINUTE: '100000',
    });
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    redis = await startRedis();
    dataDir = mkdtempSync(path.join(tmpdir(), 'tidings-cluster-'));
  });
  afterAll(async () => {
    for (const server of servers) await server.stop('SIGKILL');
    await redis?.kill();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a stream on one instance receives a mutation made on the other; stats sum both', async () => {
    const [a, b] = [await start(), await start()];
    const admin = await signUp(a.url, 'admin');
    const alice = await signUp(b.url, 'alice');
    const onA = resumingClient(alice, () => [a.url]);
    const onB = resumingClient(alice, () => [b.url]);
    await Promise.all([onA.ready, onB.ready]);

    const sent = await post(b.url, alice.cookie, create, { input: { title: 'made on B' } });
    expect(sent.errors).toBeUndefined();
    await expect.poll(() => onA.cursors, { timeout: 5_000 }).toEqual([1]);
    await expect.poll(() => onB.cursors).toEqual([1]);

    // Each instance reports its streams to Redis every few seconds.
    await postgresAdmin(database.url, admin.id);
    await expect
      .poll(async () => (await post(a.url, admin.cookie, '{ notificationStreamStats { totalConnections } }')).data, {
        timeout: 15_000,
        interval: 500,
      })
      .toEqual({ notificationStreamStats: { totalConnections: 2 } });
    onA.stop();
    onB.stop();
    for (const server of [a, b]) expect(await server.stop()).toBe(0);
    servers.length = 0;
  }, 60_000); // two cold `tidings serve` starts: slow when the machine is busy

  it('chaos: kill -9 an instance and restart Redis mid-burst; every client ends with every event exactly once', async () => {
    const [a, b] = [await start(), await start()];
    const alive = () =>
      servers.filter((s) => s.child.exitCode === null && s.child.signalCode === null).map((s) => s.url);
    const users = await Promise.all(['u1', 'u2', 'u3'].map((name) => signUp(b.url, name)));
    // Two clients per user (two tabs), both starting on A.
    const clients = users.flatMap((user) => [
      resumingClient(user, () => [a.url, ...alive()]),
      resumingClient(user, () => [a.url, ...alive()]),
    ]);
    await Promise.all(clients.map((client) => client.ready));

    const perUser = 24;
    for (let i = 0; i < perUser; i++) {
      if (i === 8) await a.stop('SIGKILL');
      if (i === 14) {
        await redis.kill();
        await expect.poll(async () => (await fetch(`${b.url}/readyz`)).status, { timeout: 10_000 }).toBe(503);
      }
      if (i === 18) {
        await redis.restart();
        await expect
          .poll(async () => (await fetch(`${b.url}/readyz`)).json(), { timeout: 10_000 })
          .toEqual({
            status: 'ready',
            database: 'ok',
            redis: 'ok',
          });
      }
      const target = alive()[i % alive().length] as string;
      await Promise.all(
        users.map(async (user) => {
          const result = await post(target, user.cookie, create, { input: { title: `burst ${i}` } });
          expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
        }),
      );
    }

    const expected = Array.from({ length: perUser }, (_, i) => i + 1);
    for (const client of clients) {
      await expect.poll(() => client.cursors, { timeout: 20_000, interval: 200 }).toEqual(expected);
      expect(client.resyncs).toEqual([]);
    }
    for (const client of clients) client.stop();
    expect(b.output()).toContain('redis reconnected');
  }, 60_000);
});

/** Makes a user an admin directly in the database (as `tidings user create --admin` would). */
async function postgresAdmin(databaseUrl: string, userId: string) {
  const pg = await import('pg');
  const client = new pg.default.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`UPDATE "user" SET role = 'admin' WHERE id = $1`, [userId]);
  await client.end();
}
