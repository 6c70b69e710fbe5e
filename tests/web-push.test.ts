import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { serviceUserEmail } from '../server/auth/scopes.ts';
import { createApiKey, createOwnApiKey, signUp, type TestUser } from './helpers/auth.ts';
import { createTestDatabase } from './helpers/database.ts';
import { codes, gql, notify } from './helpers/graphql.ts';
import {
  type BrowserSubscription,
  browserSubscription,
  decryptPush,
  inputOf,
  type PushService,
  startPushService,
  verifyVapid,
} from './helpers/push-service.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { subscribe, type TestSubscription } from './helpers/sse.ts';

// Web push end to end, without the internet: a push service of the test's own on loopback
// (HTTPS, a certificate made for the run) receives what the server sends, and the test decrypts
// it with the keys it subscribed with, as a browser would.

const register = /* GraphQL */ `
  mutation ($input: PushSubscriptionInput!) { registerPushSubscription(input: $input) }
`;
const unregister = /* GraphQL */ `
  mutation ($endpoint: String!) { unregisterPushSubscription(endpoint: $endpoint) }
`;
const metricsToken = 'a-metrics-token-for-the-push-test';

describe('web push', () => {
  let service: PushService;
  let server: TestServer;
  const streams: TestSubscription[] = [];

  beforeAll(async () => {
    service = await startPushService();
    server = await startServer({
      pushAllowPrivateEndpoints: true,
      pushCa: service.certificate,
      pushRetryDelaysMs: [50, 100, 200],
      metricsToken,
    });
  });
  afterAll(async () => {
    for (const stream of streams) stream.dispose();
    await server?.dispose();
    await service?.close();
  });

  /** A user whose browser subscribed at a fresh endpoint of the push service. */
  async function subscribedUser(): Promise<{ user: TestUser; browser: BrowserSubscription; path: string }> {
    const user = await signUp(server);
    const path = `/push/${randomUUID()}`;
    const browser = browserSubscription(`${service.url}${path}`);
    const result = await gql(server, register, { input: inputOf(browser) }, user.headers);
    expect(result.errors).toBeUndefined();
    expect(result.data?.registerPushSubscription).toBe(true);
    return { user, browser, path };
  }

  const pushesTo = (path: string) => service.received.filter((push) => push.path === path);

  async function settled() {
    await server.app.push.idle();
  }

  async function metric(name: string): Promise<number> {
    const text = await (
      await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })
    ).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  }

  it('pushes a new notification to a user with no open stream: VAPID-signed, encrypted for the browser, with the payload the service worker reads', async () => {
    const { user, browser, path } = await subscribedUser();
    const key = await gql<{ webPushPublicKey: string }>(server, '{ webPushPublicKey }', {}, user.headers);
    const publicKey = key.data?.webPushPublicKey as string;
    expect(Buffer.from(publicKey, 'base64url')).toHaveLength(65);
    const sentBefore = await metric('tidings_push_sent_total');

    const created = await notify(server, user.headers, {
      title: 'Deploy finished',
      body: 'All green',
      kind: 'deploys',
      url: 'https://example.com/deploys/42',
    });
    await settled();
    const [push] = pushesTo(path);
    expect(push).toBeDefined();
    if (!push) return;
    const claims = verifyVapid(push.headers.authorization as string, publicKey, new URL(service.url).origin);
    expect(claims.sub).toMatch(/^mailto:|^https:/);
    expect(push.headers['content-encoding']).toBe('aes128gcm');
    expect(push.headers.ttl).toBe('86400');
    expect(push.headers.urgency).toBe('normal');
    expect(push.headers.topic).toBe(created.id);
    const payload = JSON.parse(decryptPush(browser, push.body));
    expect(payload).toEqual({
      id: created.id,
      kind: 'deploys',
      title: 'Deploy finished',
      body: 'All green',
      url: 'https://example.com/deploys/42',
      createdAt: created.createdAt,
      critical: false,
    });
    // The service worker keeps its own copy of the payload's type (it is a script of its own, it
    // imports nothing): it must name exactly the fields the server sends.
    const worker = readFileSync(new URL('../web/src/service-worker/sw.ts', import.meta.url), 'utf8');
    const declared = /interface PushPayload \{([^}]*)\}/.exec(worker)?.[1] ?? '';
    expect([...declared.matchAll(/^\s*(\w+):/gm)].map((m) => m[1]).sort()).toEqual(Object.keys(payload).sort());
    expect(await metric('tidings_push_sent_total')).toBe(sentBefore + 1);
  });

  it('keeps the payload under 3 KB, cutting the body', async () => {
    const { user, browser, path } = await subscribedUser();
    await notify(server, user.headers, { title: 'Long', body: 'é'.repeat(2_000) });
    await settled();
    const [push] = pushesTo(path);
    const text = decryptPush(browser, push?.body as Buffer);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(3_072);
    const payload = JSON.parse(text);
    expect(payload.body).toMatch(/^é+…$/);
    expect(payload.title).toBe('Long');
  });

  it('does not push while the user has a stream open, unless the kind is critical (then with high urgency)', async () => {
    const { user, browser, path } = await subscribedUser();
    const stream = subscribe(server, user.headers);
    streams.push(stream);
    await stream.waitFor((event) => event.__typename === 'NotificationStreamReady');

    const quiet = await notify(server, user.headers, { title: 'Seen in the tab' });
    await stream.waitFor((event) => event.__typename === 'NotificationCreated');
    await settled();
    expect(pushesTo(path)).toEqual([]);

    const critical = await notify(server, user.headers, { title: 'New sign-in', kind: 'security' });
    await settled();
    const pushes = pushesTo(path);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]?.headers.urgency).toBe('high');
    expect(JSON.parse(decryptPush(browser, pushes[0]?.body as Buffer))).toMatchObject({
      id: critical.id,
      kind: 'security',
      critical: true,
    });
    expect(critical.id).not.toBe(quiet.id);

    // Once the stream is closed, ordinary notifications are pushed again.
    stream.dispose();
    await waitUntil(async () => (await server.app.pubsub.listening([user.id])).size === 0);
    await notify(server, user.headers, { title: 'After the tab closed' });
    await settled();
    expect(pushesTo(path)).toHaveLength(2);
  });

  it('follows the kind’s push preference, and pushes nothing for a muted kind', async () => {
    const { user, path } = await subscribedUser();
    const set = (kind: string, change: string) =>
      gql(server, `mutation { setNotificationPreference(kind: "${kind}", ${change}) { kind } }`, {}, user.headers);
    expect((await set('newsletter', 'push: false')).errors).toBeUndefined();
    expect((await set('chatter', 'inApp: false')).errors).toBeUndefined();
    await notify(server, user.headers, { title: 'No push', kind: 'newsletter' });
    await notify(server, user.headers, { title: 'Muted', kind: 'chatter' });
    await settled();
    expect(pushesTo(path)).toEqual([]);
    await notify(server, user.headers, { title: 'Pushed', kind: 'other' });
    await settled();
    expect(pushesTo(path)).toHaveLength(1);
  });

  it('pushes to every subscription of the user, and to no one else’s', async () => {
    const { user, path } = await subscribedUser();
    const second = browserSubscription(`${service.url}/push/${randomUUID()}`);
    await gql(server, register, { input: inputOf(second) }, user.headers);
    const other = await subscribedUser();
    await notify(server, user.headers, { title: 'Both browsers' });
    await settled();
    expect(pushesTo(path)).toHaveLength(1);
    expect(pushesTo(new URL(second.endpoint).pathname)).toHaveLength(1);
    expect(pushesTo(other.path)).toEqual([]);
  });

  it('removes a subscription the push service answers 410 (or 404) for', async () => {
    const removedBefore = await metric('tidings_push_subscriptions_removed_total');
    const gone = await subscribedUser();
    const missing = await subscribedUser();
    service.answer(gone.path, 410);
    service.answer(missing.path, 404);
    await notify(server, gone.user.headers, { title: 'To a browser that unsubscribed' });
    await notify(server, missing.user.headers, { title: 'To a browser that never was' });
    await settled();
    expect(pushesTo(gone.path)).toHaveLength(1);
    expect(pushesTo(missing.path)).toHaveLength(1);
    const left = await server.app.db.prisma.pushSubscription.count({
      where: { userId: { in: [gone.user.id, missing.user.id] } },
    });
    expect(left).toBe(0);
    expect(await metric('tidings_push_subscriptions_removed_total')).toBe(removedBefore + 2);
  });

  it('retries a send that failed with 500 or 429 (respecting Retry-After) until it succeeds', async () => {
    const { user, browser, path } = await subscribedUser();
    service.answer(path, 500, { status: 429, headers: { 'retry-after': '1' } });
    const started = Date.now();
    const created = await notify(server, user.headers, { title: 'Third time lucky' });
    await settled();
    const pushes = pushesTo(path);
    expect(pushes.map((push) => push.status)).toEqual([500, 429, 201]);
    // The Retry-After of 1 s was waited for (the configured backoff is 50 ms, then 100 ms).
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    for (const push of pushes) expect(JSON.parse(decryptPush(browser, push.body)).id).toBe(created.id);
    const stored = await server.app.db.prisma.pushSubscription.findFirstOrThrow({ where: { userId: user.id } });
    expect(stored.failures).toBe(0);
  });

  it('gives a send up after its retries, counts the failure against the subscription, and keeps the mutation fast', async () => {
    const failedBefore = await metric('tidings_push_failed_total');
    const { user, path } = await subscribedUser();
    service.answer(path, 503, 503, 503, 503);
    const started = Date.now();
    await notify(server, user.headers, { title: 'Never arrives' });
    // The mutation answered before any push was tried again.
    expect(Date.now() - started).toBeLessThan(1_000);
    await settled();
    expect(pushesTo(path)).toHaveLength(4);
    const stored = await server.app.db.prisma.pushSubscription.findFirstOrThrow({ where: { userId: user.id } });
    expect(stored.failures).toBe(1);
    expect(stored.lastFailureAt).not.toBeNull();
    expect(await metric('tidings_push_failed_total')).toBe(failedBefore + 1);
  });

  it('re-registering an endpoint updates its keys and moves it to the user registering it', async () => {
    const first = await subscribedUser();
    const second = await signUp(server);
    const renewed = browserSubscription(first.browser.endpoint);
    expect((await gql(server, register, { input: inputOf(renewed) }, second.headers)).errors).toBeUndefined();
    const rows = await server.app.db.prisma.pushSubscription.findMany({ where: { endpoint: first.browser.endpoint } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ userId: second.id, p256dh: renewed.p256dh, auth: renewed.auth });
    await notify(server, first.user.headers, { title: 'Not to the old owner' });
    await notify(server, second.headers, { title: 'To the new one' });
    await settled();
    const pushes = pushesTo(first.path);
    expect(pushes).toHaveLength(1);
    expect(JSON.parse(decryptPush(renewed, pushes[0]?.body as Buffer)).title).toBe('To the new one');
  });

  it('keeps at most 20 subscriptions per user: a 21st replaces the one registered longest ago', async () => {
    const user = await signUp(server);
    const endpoints = Array.from({ length: 21 }, () => `${service.url}/push/${randomUUID()}`);
    for (const endpoint of endpoints) {
      const result = await gql(server, register, { input: inputOf(browserSubscription(endpoint)) }, user.headers);
      expect(result.errors).toBeUndefined();
    }
    const kept = await server.app.db.prisma.pushSubscription.findMany({ where: { userId: user.id } });
    expect(kept).toHaveLength(20);
    expect(kept.map((row) => row.endpoint)).not.toContain(endpoints[0]);
    expect(kept.map((row) => row.endpoint)).toContain(endpoints[20]);
  });

  it('unregisters the user’s own subscription only', async () => {
    const owner = await subscribedUser();
    const other = await signUp(server);
    const theirs = await gql(server, unregister, { endpoint: owner.browser.endpoint }, other.headers);
    expect(theirs.data?.unregisterPushSubscription).toBe(false);
    expect(await server.app.db.prisma.pushSubscription.count({ where: { userId: owner.user.id } })).toBe(1);
    const own = await gql(server, unregister, { endpoint: owner.browser.endpoint }, owner.user.headers);
    expect(own.data?.unregisterPushSubscription).toBe(true);
    const again = await gql(server, unregister, { endpoint: owner.browser.endpoint }, owner.user.headers);
    expect(again.data?.unregisterPushSubscription).toBe(false);
    await notify(server, owner.user.headers, { title: 'Nowhere to go' });
    await settled();
    expect(pushesTo(owner.path)).toEqual([]);
  });

  it('refuses bad input with BAD_USER_INPUT naming the field', async () => {
    const user = await signUp(server);
    const good = browserSubscription(`${service.url}/push/${randomUUID()}`);
    const notOnCurve = Buffer.alloc(65, 1);
    notOnCurve[0] = 4;
    const cases: [Record<string, string>, string][] = [
      [{ endpoint: good.endpoint.replace('https:', 'http:') }, 'endpoint'],
      [{ endpoint: 'not a url' }, 'endpoint'],
      [{ endpoint: `${service.url}/${'x'.repeat(2_048)}` }, 'endpoint'],
      [{ endpoint: `https://user:secret@${new URL(service.url).host}/push` }, 'endpoint'],
      [{ endpoint: `${service.url}/push/\u0000` }, 'endpoint'],
      [{ p256dh: good.p256dh.slice(0, 40) }, 'p256dh'],
      [{ p256dh: notOnCurve.toString('base64url') }, 'p256dh'],
      [{ p256dh: 'not base64url!' }, 'p256dh'],
      [{ p256dh: 'A'.repeat(10_000) }, 'p256dh'],
      [{ auth: Buffer.alloc(15).toString('base64url') }, 'auth'],
      [{ auth: Buffer.alloc(32).toString('base64url') }, 'auth'],
    ];
    for (const [change, field] of cases) {
      const result = await gql(server, register, { input: { ...inputOf(good), ...change } }, user.headers);
      expect(codes(result), JSON.stringify(change)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors?.[0]?.extensions?.field).toBe(field);
    }
    const long = await gql(server, unregister, { endpoint: `https://x/${'x'.repeat(2_048)}` }, user.headers);
    expect(long.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'endpoint' });
    expect(await server.app.db.prisma.pushSubscription.count({ where: { userId: user.id } })).toBe(0);
  });

  it('lets only signed-in sessions register and unregister; API keys may read the public key', async () => {
    const user = await signUp(server);
    const input = inputOf(browserSubscription(`${service.url}/push/${randomUUID()}`));
    const anonymous = await gql(server, register, { input });
    expect(codes(anonymous)).toEqual(['UNAUTHENTICATED']);
    expect(codes(await gql(server, '{ webPushPublicKey }'))).toEqual(['UNAUTHENTICATED']);
    // The built-in service user, as `tidings api-key create` makes it.
    const serviceUser = await server.app.db.prisma.user.create({
      data: { id: `service-${randomUUID()}`, email: serviceUserEmail, name: 'Tidings service', emailVerified: true },
    });
    const serviceKey = await createApiKey(server, serviceUser);
    const operatorKey = await createApiKey(server, user);
    const ownKey = (await createOwnApiKey(server, user)).headers;
    for (const headers of [serviceKey, operatorKey, ownKey]) {
      expect(codes(await gql(server, register, { input }, headers))).toEqual(['FORBIDDEN']);
      expect(codes(await gql(server, unregister, { endpoint: input.endpoint }, headers))).toEqual(['FORBIDDEN']);
      const key = await gql(server, '{ webPushPublicKey }', {}, headers);
      expect(key.data?.webPushPublicKey).toBe(server.app.vapidPublicKey);
    }
    expect(await server.app.db.prisma.pushSubscription.count({ where: { endpoint: input.endpoint } })).toBe(0);
  });
});

describe('web push under load and at shutdown', () => {
  let service: PushService;
  let server: TestServer;

  beforeAll(async () => {
    service = await startPushService();
    server = await startServer({
      pushAllowPrivateEndpoints: true,
      pushCa: service.certificate,
      pushRetryDelaysMs: [60_000],
      pushMaxQueue: 1,
      metricsToken,
    });
  });
  afterAll(async () => {
    await server?.dispose();
    await service?.close();
  });

  it('drops the sends that find the queue full, and counts them', async () => {
    const user = await signUp(server);
    const paths = Array.from({ length: 12 }, () => `/push/${randomUUID()}`);
    for (const path of paths) {
      const result = await gql(
        server,
        register,
        { input: inputOf(browserSubscription(`${service.url}${path}`)) },
        user.headers,
      );
      expect(result.errors).toBeUndefined();
    }
    await notify(server, user.headers, { title: 'To twelve browsers at once' });
    await server.app.push.idle();
    // Eight go out at once, one waits in the queue of one, and three find it full.
    expect(service.received).toHaveLength(9);
    const metrics = await (
      await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })
    ).text();
    expect(metrics).toMatch(/^tidings_push_dropped_total 3$/m);
    expect(server.logs.filter((line) => line.msg === 'web push: send queue full; dropped')).toHaveLength(3);
  });

  it('stops at once with a retry pending, and sends nothing afterwards', async () => {
    const user = await signUp(server);
    const path = `/push/${randomUUID()}`;
    await gql(server, register, { input: inputOf(browserSubscription(`${service.url}${path}`)) }, user.headers);
    service.answer(path, 503);
    const before = service.received.length;
    await notify(server, user.headers, { title: 'Retried in a minute' });
    await waitUntil(async () => service.received.length === before + 1);
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    // Its retry was due in a minute: cancelled, and nothing is left waiting.
    await server.app.push.idle();
    expect(service.received).toHaveLength(before + 1);
  });
});

describe('VAPID keys', () => {
  it('are generated once per database: instances starting at once end up with the same pair, and restarts keep it', async () => {
    const database = await createTestDatabase();
    const started: TestServer[] = [];
    try {
      started.push(
        ...(await Promise.all([
          startServer({ databaseUrl: database.url }),
          startServer({ databaseUrl: database.url }),
        ])),
      );
      const [a, b] = started as [TestServer, TestServer];
      expect(a.app.vapidPublicKey).toBe(b.app.vapidPublicKey);
      const stored = await a.app.db.prisma.setting.findMany();
      expect(stored).toHaveLength(1);
      expect(JSON.parse(stored[0]?.value ?? '{}').publicKey).toBe(a.app.vapidPublicKey);
      const again = await startServer({ databaseUrl: database.url });
      started.push(again);
      expect(again.app.vapidPublicKey).toBe(a.app.vapidPublicKey);
      const user = await signUp(again);
      const answer = await gql(again, '{ webPushPublicKey }', {}, user.headers);
      expect(answer.data?.webPushPublicKey).toBe(a.app.vapidPublicKey);
    } finally {
      for (const server of started) await server.dispose();
      await database.drop();
    }
  });

  it('come from TIDINGS_VAPID_PUBLIC_KEY and TIDINGS_VAPID_PRIVATE_KEY when set, and are then not stored', async () => {
    const keys = webpush.generateVAPIDKeys();
    const server = await startServer({ vapidKeys: keys, vapidSubject: 'mailto:ops@example.com' });
    try {
      expect(server.app.vapidPublicKey).toBe(keys.publicKey);
      expect(await server.app.db.prisma.setting.count()).toBe(0);
    } finally {
      await server.dispose();
    }
  });
});

describe('web push without the test flag', () => {
  let service: PushService;
  let server: TestServer;

  beforeAll(async () => {
    service = await startPushService();
    server = await startServer({ pushCa: service.certificate, pushRetryDelaysMs: [50] });
  });
  afterAll(async () => {
    await server?.dispose();
    await service?.close();
  });

  it('refuses endpoints at private, loopback or reserved addresses, naming endpoint', async () => {
    const user = await signUp(server);
    const { port } = new URL(service.url);
    const keys = browserSubscription('https://example.invalid/');
    for (const endpoint of [
      `https://localhost:${port}/push`,
      `https://127.0.0.1:${port}/push`,
      'https://[::1]/push',
      'https://[::ffff:127.0.0.1]/push',
      'https://10.1.2.3/push',
      'https://192.168.0.1/push',
      'https://169.254.169.254/latest/meta-data',
      'https://100.64.0.1/push',
      'https://[fd00::1]/push',
      'https://0.0.0.0/push',
      'https://no-such-host.invalid/push',
    ]) {
      const result = await gql(server, register, { input: { ...inputOf(keys), endpoint } }, user.headers);
      expect(codes(result), endpoint).toEqual(['BAD_USER_INPUT']);
      expect(result.errors?.[0]?.extensions?.field).toBe('endpoint');
    }
    expect(await server.app.db.prisma.pushSubscription.count()).toBe(0);
  });

  it('will not send to a private address at send time either (a name that resolves privately later, or a literal address), and drops the subscription', async () => {
    const user = await signUp(server);
    const { port } = new URL(service.url);
    // As if each had resolved publicly when registered: written straight to the database.
    for (const endpoint of [`https://localhost:${port}/rebound`, `https://127.0.0.1:${port}/literal`]) {
      const browser = browserSubscription(endpoint);
      await server.app.db.prisma.pushSubscription.create({
        data: { userId: user.id, endpoint, p256dh: browser.p256dh, auth: browser.auth },
      });
    }
    await notify(server, user.headers, { title: 'Must not reach loopback' });
    await server.app.push.idle();
    expect(service.received).toEqual([]);
    expect(await server.app.db.prisma.pushSubscription.count({ where: { userId: user.id } })).toBe(0);
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
