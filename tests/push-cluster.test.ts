import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './helpers/auth.ts';
import { provider } from './helpers/database.ts';
import { gql, notify } from './helpers/graphql.ts';
import { type RedisProcess, redisUnavailable, startRedis } from './helpers/processes.ts';
import {
  browserSubscription,
  decryptPush,
  inputOf,
  type PushService,
  startPushService,
} from './helpers/push-service.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { subscribe } from './helpers/sse.ts';

// "No open stream" across instances: a notification written on one instance is not pushed while
// the user has a stream open on another (the presence is Redis' count of subscribers of the
// user's channel), and is pushed once that stream closes, or the instance serving it dies.
// tests/vitest.config.ts runs this file in the PostgreSQL project only.
const unavailable = redisUnavailable();
if (unavailable && process.env.CI === 'true') throw new Error(`CI=true and ${unavailable}`);
if (unavailable) process.stderr.write(`\n⚠ Skipping the two-instance web push test: ${unavailable}\n`);

const register = /* GraphQL */ `
  mutation ($input: PushSubscriptionInput!) { registerPushSubscription(input: $input) }
`;

describe.runIf(provider === 'postgresql' && !unavailable)('web push with two instances on PostgreSQL + Redis', () => {
  let redis: RedisProcess;
  let service: PushService;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    redis = await startRedis();
    service = await startPushService();
    const push = { pushAllowPrivateEndpoints: true, pushCa: service.certificate, pushRetryDelaysMs: [50] };
    a = await startServer({ redisUrl: redis.url, ...push });
    // B serves A's database (its own fresh one stays unused).
    b = await startServer({ redisUrl: redis.url, databaseUrl: a.config.databaseUrl, ...push });
  });
  afterAll(async () => {
    await b?.dispose();
    await a?.dispose();
    await service?.close();
    await redis?.kill();
  });

  async function subscribedUser() {
    const user = await signUp(a);
    const path = `/push/${randomUUID()}`;
    const browser = browserSubscription(`${service.url}${path}`);
    expect((await gql(b, register, { input: inputOf(browser) }, user.headers)).errors).toBeUndefined();
    return { user, browser, path, pushes: () => service.received.filter((push) => push.path === path) };
  }

  it('shares the VAPID keys', () => {
    expect(a.app.vapidPublicKey).toBe(b.app.vapidPublicKey);
  });

  it('does not push what A wrote while the user’s stream is open on B, and pushes once it closed', async () => {
    const { user, browser, pushes } = await subscribedUser();
    const stream = subscribe(b, user.headers);
    await stream.waitFor((event) => event.__typename === 'NotificationStreamReady');
    // A knows of no stream of this user itself: only Redis can tell it.
    expect(a.app.streams.stats().activeUsers).toBe(0);
    expect([...(await a.app.pubsub.listening([user.id]))]).toEqual([user.id]);

    await notify(a, user.headers, { title: 'Seen on B' });
    await stream.waitFor((event) => event.__typename === 'NotificationCreated');
    await a.app.push.idle();
    await b.app.push.idle();
    expect(pushes()).toEqual([]);

    // A critical kind is pushed whatever the streams.
    await notify(a, user.headers, { title: 'New sign-in', kind: 'security' });
    await a.app.push.idle();
    expect(pushes()).toHaveLength(1);

    stream.dispose();
    await waitUntil(async () => (await a.app.pubsub.listening([user.id])).size === 0);
    const after = await notify(a, user.headers, { title: 'After B’s tab closed' });
    await a.app.push.idle();
    expect(pushes()).toHaveLength(2);
    expect(JSON.parse(decryptPush(browser, pushes()[1]?.body as Buffer)).id).toBe(after.id);
    // Only the writer pushes: B heard nothing to push.
    await b.app.push.idle();
    expect(pushes()).toHaveLength(2);
  });

  it('forgets the streams of an instance that stops', async () => {
    const { user, pushes } = await subscribedUser();
    const stream = subscribe(b, user.headers);
    await stream.waitFor((event) => event.__typename === 'NotificationStreamReady');
    await notify(a, user.headers, { title: 'Seen on B' });
    await a.app.push.idle();
    expect(pushes()).toEqual([]);

    await b.stop();
    stream.dispose();
    await waitUntil(async () => (await a.app.pubsub.listening([user.id])).size === 0);
    await notify(a, user.headers, { title: 'B is gone' });
    await a.app.push.idle();
    expect(pushes()).toHaveLength(1);
    await b.start();
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
