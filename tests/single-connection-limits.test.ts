import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.ts';
import { signUp, type TestUser } from './helpers/auth.ts';
import { bigEvent } from './helpers/events.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { subscribe, type TestSubscription } from './helpers/sse.ts';

// graphql-sse's single-connection mode on /graphql/stream, by hand where the protocol's steps
// matter (PUT reserves, GET connects the event stream, POST runs an operation in it), and through
// the real graphql-sse client where a client that behaves is enough.

const tokenHeader = 'x-graphql-event-stream-token';
const events = /* GraphQL */ `
  subscription($after: String) {
    notificationEvents(after: $after) {
      __typename cursor unreadCount
      ... on NotificationCreated { notification { title body } }
    }
  }
`;

async function reserve(server: TestServer, user: TestUser, token?: string) {
  const response = await fetch(`${server.url}/graphql/stream`, {
    method: 'PUT',
    headers: { ...user.headers, ...(token ? { [tokenHeader]: token } : {}) },
  });
  return { status: response.status, body: await response.text() };
}

/** Runs `notificationEvents` in the reservation `token`; graphql-sse answers 202 when it runs. */
async function operate(server: TestServer, user: TestUser, token: string, id = '1') {
  const response = await fetch(`${server.url}/graphql/stream`, {
    method: 'POST',
    headers: { ...user.headers, 'content-type': 'application/json', [tokenHeader]: token },
    body: JSON.stringify({ query: events, extensions: { operationId: id } }),
  });
  await response.body?.cancel();
  return response.status;
}

/** Connects the reservation's event stream and never reads from it. */
function connectStalled(server: TestServer, user: TestUser, token: string) {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest(`${server.url}/graphql/stream`, {
      headers: { ...user.headers, accept: 'text/event-stream', [tokenHeader]: token },
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
}

const streamsOf = (server: TestServer, user: TestUser) =>
  server.app.streams.stats().connectionsPerUser.find((entry) => entry.userId === user.id)?.connectionCount ?? 0;
const slowConsumerLines = (server: TestServer) =>
  server.logs.filter((line) => line.msg === 'slow consumer disconnected').length;

describe('single-connection mode: a client that stops reading', () => {
  let server: TestServer;
  const open: TestSubscription[] = [];
  beforeAll(async () => {
    server = await startServer({ streamMaxBufferBytes: 16 * 1024, maxStreamsPerUser: 50 });
  });
  afterAll(async () => {
    for (const subscription of open) subscription.dispose();
    await server?.dispose();
  });

  it('a reservation whose event stream never connects is cut off at TIDINGS_STREAM_MAX_BUFFER_BYTES; the client resumes with its cursor', async () => {
    const alice = await signUp(server);
    const reserved = await reserve(server, alice);
    expect(reserved.status).toBe(201);
    const token = reserved.body;
    expect(await operate(server, alice, token)).toBe(202);
    await expect.poll(() => streamsOf(server, alice)).toBe(1);
    const before = slowConsumerLines(server);

    // 2 KB bodies: the reservation's queue passes 16 KB within a dozen events.
    const body = 'x'.repeat(2_000);
    for (let i = 1; i <= 12; i++) {
      await server.app.notifications.create({ recipientId: alice.id, title: `queued ${i}`, body });
    }

    await expect.poll(() => slowConsumerLines(server)).toBe(before + 1);
    // Its stream closed, its slot and graphql-sse's reservation freed: the same token reserves again.
    await expect.poll(() => streamsOf(server, alice)).toBe(0);
    expect(server.app.singleConnection.reservations).toBe(0);
    expect(server.app.streams.idleReservations(alice.id)).toBe(0);
    expect((await reserve(server, alice, token)).status).toBe(201);

    // A client resumes as in distinct mode: the real client, in single-connection mode, from its cursor.
    const resumed = subscribe(server, alice.headers, 'single', events, { after: '8' });
    open.push(resumed);
    const replayed = [];
    for (let i = 0; i < 5; i++) replayed.push(await resumed.next());
    expect(replayed.map((event) => [event.__typename, event.cursor])).toEqual([
      ...Array.from({ length: 4 }, (_, i) => ['NotificationCreated', String(i + 9)]),
      ['NotificationStreamReady', '12'],
    ]);
  });

  it('a connected event stream whose client stops reading is cut off; other streams carry on', async () => {
    const bob = await signUp(server);
    const reader = subscribe(server, bob.headers, 'single');
    open.push(reader);
    expect(await reader.next()).toMatchObject({ __typename: 'NotificationStreamReady' });

    const alice = await signUp(server);
    const token = (await reserve(server, alice)).body;
    const stalled = await connectStalled(server, alice, token);
    expect(stalled.statusCode).toBe(200);
    const closed = new Promise<void>((resolve) => stalled.socket.once('close', () => resolve()));
    stalled.on('error', () => undefined);
    stalled.socket.on('error', () => undefined);
    expect(await operate(server, alice, token)).toBe(202);
    await expect.poll(() => streamsOf(server, alice)).toBe(1);
    const before = slowConsumerLines(server);

    // 8 KB events, one at a time: each is taken from the stream before the next comes, so none
    // waits in the stream itself. The socket's buffers take the first ones (the kernel's hold
    // megabytes), then graphql-sse's queue fills, and its bytes count toward the 16 KB limit.
    let sent = 0;
    while (slowConsumerLines(server) === before && sent < 3_000) {
      server.app.pubsub.publish(alice.id, bigEvent(alice.id, ++sent));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(slowConsumerLines(server)).toBe(before + 1);
    // The server cut the connection: a client reading again takes what reached it, then sees it close.
    stalled.resume();
    await closed;
    await expect.poll(() => streamsOf(server, alice)).toBe(0);
    await expect.poll(() => server.app.streams.idleReservations(alice.id)).toBe(0);
    expect((await reserve(server, alice, token)).status).toBe(201);

    await server.app.notifications.create({ recipientId: bob.id, title: 'still fine' });
    expect(await reader.waitFor((e) => e.__typename === 'NotificationCreated')).toMatchObject({ cursor: '1' });
  });
});

describe('single-connection mode: reservations', () => {
  let server: TestServer;
  const open: TestSubscription[] = [];
  beforeAll(async () => {
    server = await startServer({ maxStreamsPerUser: 3, streamReservationTtlMs: 2_000 });
  });
  afterAll(async () => {
    for (const subscription of open) subscription.dispose();
    await server?.dispose();
  });

  it('count against TIDINGS_MAX_STREAMS_PER_USER with open streams (429 TOO_MANY_STREAMS); a reservation with its stream counts once', async () => {
    const alice = await signUp(server);
    const single = subscribe(server, alice.headers, 'single');
    const distinct = subscribe(server, alice.headers, 'distinct');
    open.push(single, distinct);
    for (const stream of [single, distinct]) {
      expect(await stream.next()).toMatchObject({ __typename: 'NotificationStreamReady' });
    }
    expect((await reserve(server, alice)).status).toBe(201);

    const refused = await fetch(`${server.url}/graphql/stream`, { method: 'PUT', headers: alice.headers });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ errors: [{ extensions: { code: 'TOO_MANY_STREAMS' } }] });
    const query = encodeURIComponent('subscription { notificationEvents { __typename } }');
    const distinctRefused = await fetch(`${server.url}/graphql?query=${query}`, {
      headers: { ...alice.headers, accept: 'text/event-stream' },
    });
    expect(distinctRefused.status).toBe(429);
    await distinctRefused.body?.cancel();

    // Another user is not affected; closing the single-connection client makes room again.
    const bob = await signUp(server);
    expect((await reserve(server, bob)).status).toBe(201);
    single.dispose();
    await expect.poll(() => streamsOf(server, alice)).toBe(1);
    await expect.poll(async () => (await reserve(server, alice)).status).toBe(201);
  });

  it('one not connected within the TTL (30 s; shortened here) expires: its slot, its operations and graphql-sse’s memory of it are freed', async () => {
    const carol = await signUp(server);
    const token = (await reserve(server, carol)).body;
    expect(await operate(server, carol, token)).toBe(202);
    expect(streamsOf(server, carol)).toBe(1);
    // graphql-sse still holds it: the same token cannot be reserved twice.
    expect((await reserve(server, carol, token)).status).toBe(409);
    const unused = (await reserve(server, carol)).body;
    expect(server.app.streams.idleReservations(carol.id)).toBe(1);

    await expect.poll(() => streamsOf(server, carol), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => server.app.streams.idleReservations(carol.id), { timeout: 10_000 }).toBe(0);
    expect((await reserve(server, carol, token)).status).toBe(201);
    expect((await reserve(server, carol, unused)).status).toBe(201);
  });

  it('one whose event stream disconnects is freed at once', async () => {
    const dave = await signUp(server);
    const token = (await reserve(server, dave)).body;
    expect((await reserve(server, dave)).status).toBe(201); // never connected: it expires
    const controller = new AbortController();
    const connected = await fetch(`${server.url}/graphql/stream`, {
      headers: { ...dave.headers, accept: 'text/event-stream', [tokenHeader]: token },
      signal: controller.signal,
    });
    expect(connected.status).toBe(200);
    expect(await operate(server, dave, token)).toBe(202);
    await expect.poll(() => streamsOf(server, dave)).toBe(1);
    // Connected, it no longer expires: the other one has, and this one's stream is still open.
    await expect.poll(() => server.app.streams.idleReservations(dave.id), { timeout: 10_000 }).toBe(0);
    expect(streamsOf(server, dave)).toBe(1);
    expect(server.app.singleConnection.reservations).toBeGreaterThanOrEqual(1);

    controller.abort();
    await expect.poll(() => streamsOf(server, dave)).toBe(0);
    await expect.poll(() => server.app.streams.idleReservations(dave.id)).toBe(0);
    expect((await reserve(server, dave, token)).status).toBe(201);
  });

  it('lasts 30 s outside tests', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      BETTER_AUTH_SECRET: 'a-production-secret-at-least-32-characters',
    });
    expect(config.streamReservationTtlMs).toBe(30_000);
  });
});
