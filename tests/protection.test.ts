import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieOf, createApiKey, signUp } from './helpers/auth.ts';
import { bigEvent } from './helpers/events.ts';
import { codes, gql, notify } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { notificationEvents, subscribe } from './helpers/sse.ts';

const subscription = encodeURIComponent('subscription { notificationEvents { __typename } }');
const endedQuery = notificationEvents.replace(
  '... on NotificationStreamHeartbeat { at }',
  '... on NotificationStreamHeartbeat { at } ... on NotificationStreamEnded { reason }',
);

const metricsToken = 'a-metrics-token-for-the-tests';
const metricsAuth = { authorization: `Bearer ${metricsToken}` };

describe('limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ rateLimitPerMinute: 5, apiKeyRateLimitPerMinute: 8 });
  });
  afterAll(async () => server?.dispose());

  it('refuses the 11th stream of a user (TIDINGS_MAX_STREAMS_PER_USER, default 10) with 429 TOO_MANY_STREAMS', async () => {
    expect(server.config.maxStreamsPerUser).toBe(10);
    const alice = await signUp(server);
    const open = Array.from({ length: 10 }, () => subscribe(server, alice.headers));
    for (const stream of open) await stream.next();
    const refused = await fetch(`${server.url}/graphql?query=${subscription}`, {
      headers: { ...alice.headers, accept: 'text/event-stream' },
    });
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain('TOO_MANY_STREAMS');
    // Another user is not affected, and closing one stream makes room again.
    const bob = await signUp(server);
    const bobs = subscribe(server, bob.headers);
    expect(await bobs.next()).toMatchObject({ __typename: 'NotificationStreamReady' });
    open.pop()?.dispose();
    await expect
      .poll(() => server.app.streams.stats().connectionsPerUser.find((u) => u.userId === alice.id)?.connectionCount)
      .toBe(9);
    const again = subscribe(server, alice.headers);
    expect(await again.next()).toMatchObject({ __typename: 'NotificationStreamReady' });
    for (const stream of [...open, bobs, again]) stream.dispose();
  });

  it('rate-limits mutations per user and per API key with RATE_LIMITED, 429 and Retry-After', async () => {
    const carol = await signUp(server);
    for (let i = 0; i < 5; i++) await notify(server, carol.headers, { title: `ok ${i}` });
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { ...carol.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { createNotification(input: { title: "one too many" }) { id } }' }),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await response.json()) as { errors: { extensions: { code: string; retryAfterSeconds: number } }[] };
    expect(body.errors[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(await server.app.db.prisma.notification.count({ where: { recipientId: carol.id } })).toBe(5);
    // Reads are not limited.
    expect((await gql(server, '{ unreadNotificationCount }', {}, carol.headers)).data?.unreadNotificationCount).toBe(5);

    // An API key has its own, separate allowance.
    const key = await createApiKey(server, carol);
    for (let i = 0; i < 8; i++) await notify(server, key, { title: `key ${i}` });
    expect(codes(await gql(server, 'mutation { markAllNotificationsRead { count } }', {}, key))).toEqual([
      'RATE_LIMITED',
    ]);
  });
  it('counts work, not requests: each aliased mutation field takes one of the allowance', async () => {
    const dave = await signUp(server);
    const aliased = (n: number, from = 0) =>
      `mutation { ${Array.from({ length: n }, (_, i) => `n${from + i}: createNotification(input: { title: "t${from + i}" }) { id }`).join(' ')} }`;
    const tooMany = await gql(server, aliased(6), {}, dave.headers);
    expect(tooMany.status).toBe(429);
    expect(codes(tooMany)).toEqual(['RATE_LIMITED']);
    expect(await server.app.db.prisma.notification.count({ where: { recipientId: dave.id } })).toBe(0);

    expect((await gql(server, aliased(3), {}, dave.headers)).errors).toBeUndefined();
    // Two left: three more do not fit, and none of them runs; two do.
    expect(codes(await gql(server, aliased(3, 3), {}, dave.headers))).toEqual(['RATE_LIMITED']);
    expect(await server.app.db.prisma.notification.count({ where: { recipientId: dave.id } })).toBe(3);
    const fragments = `mutation { ...two } fragment two on Mutation { a: markAllNotificationsRead { count } b: markAllNotificationsRead { count } }`;
    expect((await gql(server, fragments, {}, dave.headers)).errors).toBeUndefined();
    expect(codes(await gql(server, aliased(1, 9), {}, dave.headers))).toEqual(['RATE_LIMITED']);
  });
});

describe('a client that stops reading', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ streamMaxBufferBytes: 64 * 1024, maxStreamsPerUser: 50, metricsToken });
  });
  afterAll(async () => server?.dispose());

  it('is cut off once its buffered events pass TIDINGS_STREAM_MAX_BUFFER_BYTES; readers carry on', async () => {
    // The registry's own stream, with nobody pulling from it: what Yoga does when the socket is
    // full. (Over a real socket the kernel's buffers, up to 4 MiB and more here, absorb far more
    // than a test can send quickly before the server's own buffer even starts to fill.)
    const alice = await signUp(server);
    let aborted = 0;
    const stalled = await Promise.all(
      Array.from({ length: 25 }, () =>
        server.app.streams.open(alice.id, {
          credential: { kind: 'session', id: 'stalled' },
          buffer: { cut: () => aborted++, bufferedBytes: 0 },
        }),
      ),
    );
    const readerUser = await signUp(server);
    const reader = subscribe(server, readerUser.headers);
    await reader.next();

    for (let seq = 1; seq <= 40; seq++) server.app.pubsub.publish(alice.id, bigEvent(alice.id, seq));

    expect(aborted).toBe(25);
    expect(stalled.map((stream) => stream.closeReason)).toEqual(Array(25).fill('slow consumer'));
    expect(server.app.streams.stats()).toMatchObject({ totalConnections: 1, activeUsers: 1 });
    expect(server.logs.filter((line) => line.msg === 'slow consumer disconnected')).toHaveLength(25);
    const metrics = await (await fetch(`${server.url}/metrics`, { headers: metricsAuth })).text();
    expect(metrics).toMatch(/^tidings_slow_consumer_disconnects_total 25$/m);

    await notify(server, readerUser.headers, { title: 'still fine' });
    expect(await reader.waitFor((e) => e.__typename === 'NotificationCreated')).toMatchObject({
      notification: { title: 'still fine' },
    });
    reader.dispose();
  });
});

describe('streams end with their credentials', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ credentialCheckMs: 200 });
  });
  afterAll(async () => server?.dispose());

  async function signIn(email: string, password: string) {
    const response = await fetch(`${server.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    return { cookie: cookieOf(response) };
  }

  it('signing out ends that session’s streams with NotificationStreamEnded, and only those', async () => {
    const alice = await signUp(server);
    const laptop = await signIn(alice.email, alice.password);
    const laptopStream = subscribe(server, laptop, 'distinct', endedQuery);
    const phoneStream = subscribe(server, alice.headers, 'distinct', endedQuery);
    await laptopStream.next();
    await phoneStream.next();

    const signOut = await fetch(`${server.url}/api/auth/sign-out`, {
      method: 'POST',
      headers: { ...laptop, 'content-type': 'application/json', origin: new URL(server.config.publicUrl).origin },
      body: '{}',
    });
    expect(signOut.status).toBe(200);
    expect(await laptopStream.waitFor((e) => e.__typename === 'NotificationStreamEnded')).toMatchObject({
      reason: 'SESSION_REVOKED',
    });
    await laptopStream.completed;
    // The other session still streams.
    await notify(server, alice.headers, { title: 'still here' });
    expect(await phoneStream.waitFor((e) => e.__typename === 'NotificationCreated')).toBeTruthy();
    // Reconnecting with the ended session is refused outright, not retried forever.
    const retry = await fetch(`${server.url}/graphql?query=${subscription}`, {
      headers: { ...laptop, accept: 'text/event-stream' },
    });
    expect(retry.status).toBe(401);
    phoneStream.dispose();
  });

  it('an expired session or a deleted API key ends the stream at the next check', async () => {
    const bob = await signUp(server);
    const sessionStream = subscribe(server, bob.headers, 'distinct', endedQuery);
    await sessionStream.next();
    await server.app.db.prisma.session.updateMany({
      where: { userId: bob.id },
      data: { expiresAt: new Date(Date.now() - 1_000) },
    });
    expect(await sessionStream.waitFor((e) => e.__typename === 'NotificationStreamEnded')).toMatchObject({
      reason: 'SESSION_EXPIRED',
    });

    const carol = await signUp(server);
    const key = await createApiKey(server, carol);
    const keyStream = subscribe(server, key, 'distinct', endedQuery);
    await keyStream.next();
    await server.app.db.prisma.apikey.deleteMany({ where: { referenceId: carol.id } });
    expect(await keyStream.waitFor((e) => e.__typename === 'NotificationStreamEnded')).toMatchObject({
      reason: 'API_KEY_REVOKED',
    });
    await expect.poll(() => server.app.streams.stats().totalConnections).toBe(0);
  });
});

describe('/metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ metricsToken });
  });
  afterAll(async () => server?.dispose());

  it('reports streams, events and mutation latency in Prometheus text format', async () => {
    const alice = await signUp(server);
    const stream = subscribe(server, alice.headers);
    await stream.next();
    await notify(server, alice.headers, { title: 'counted' });
    await stream.waitFor((e) => e.__typename === 'NotificationCreated');
    const response = await fetch(`${server.url}/metrics`, { headers: metricsAuth });
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^tidings_open_streams 1$/m);
    expect(text).toMatch(/^tidings_active_users 1$/m);
    expect(text).toMatch(/^tidings_events_published_total 1$/m);
    expect(text).toMatch(/^tidings_events_delivered_total 1$/m);
    expect(text).toMatch(/^tidings_mutation_duration_seconds_count\{mutation="NotificationCreated"\} 1$/m);
    for (const name of [
      'tidings_events_replayed_total',
      'tidings_resyncs_total',
      'tidings_streams_refused_total',
      'tidings_redis_connected',
    ]) {
      expect(text).toContain(name);
    }
    stream.dispose();
  });
});
