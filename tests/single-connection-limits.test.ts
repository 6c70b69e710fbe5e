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

/**
 * Connects an event stream (the reservation's, or with `?query=` one of its own) and never reads
 * from it; `closed` resolves once the server has cut it and the client reads again.
 */
async function connectStalled(server: TestServer, user: TestUser, path: string, headers: Record<string, string>) {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest(`${server.url}${path}`, {
      headers: { ...user.headers, accept: 'text/event-stream', ...headers },
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
  const closed = new Promise<void>((resolve) => response.socket.once('close', () => resolve()));
  response.on('error', () => undefined);
  response.socket.on('error', () => undefined);
  return {
    status: response.statusCode,
    /** Reads again: takes what reached the client, then sees the connection closed. */
    closed: () => {
      response.resume();
      return closed;
    },
  };
}

/**
 * Publishes 8 KB events for `user` one at a time until a stream is cut off as a slow consumer.
 * Each is taken from its NotificationStream before the next comes, so none waits there: the
 * socket's buffers take the first ones (the kernel's hold megabytes), then graphql-sse's queue
 * fills, and only its bytes can pass the limit.
 */
async function publishUntilCut(server: TestServer, user: TestUser) {
  const before = slowConsumerLines(server);
  for (let seq = 1; slowConsumerLines(server) === before && seq <= 3_000; seq++) {
    server.app.pubsub.publish(user.id, bigEvent(user.id, seq));
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(slowConsumerLines(server)).toBe(before + 1);
}

const streamsOf = (server: TestServer, user: TestUser) =>
  server.app.streams.stats().connectionsPerUser.find((entry) => entry.userId === user.id)?.connectionCount ?? 0;
const slowConsumerLines = (server: TestServer) =>
  server.logs.filter((line) => line.msg === 'slow consumer disconnected').length;

describe('single-connection mode: a client that stops reading', () => {
  let server: TestServer;
  const open: TestSubscription[] = [];
  beforeAll(async () => {
    // 64 KB: well above what a Node response holds before it waits for its socket (16 KB and a
    // chunk), so only graphql-sse's queue can pass it.
    server = await startServer({ streamMaxBufferBytes: 64 * 1024, maxStreamsPerUser: 50 });
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

    // 2 KB bodies: the reservation's queue passes 64 KB within 40 events.
    const body = 'x'.repeat(2_000);
    for (let i = 1; i <= 40; i++) {
      await server.app.notifications.create({ recipientId: alice.id, title: `queued ${i}`, body });
    }

    await expect.poll(() => slowConsumerLines(server)).toBe(before + 1);
    // Its stream closed, its slot and graphql-sse's reservation freed: the same token reserves again.
    await expect.poll(() => streamsOf(server, alice)).toBe(0);
    expect(server.app.singleConnection.reservations).toBe(0);
    expect(server.app.streams.idleReservations(alice.id)).toBe(0);
    expect((await reserve(server, alice, token)).status).toBe(201);

    // A client resumes as in distinct mode: the real client, in single-connection mode, from its cursor.
    const resumed = subscribe(server, alice.headers, 'single', events, { after: '32' });
    open.push(resumed);
    const replayed = [];
    for (let i = 0; i < 9; i++) replayed.push(await resumed.next());
    expect(replayed.map((event) => [event.__typename, event.cursor])).toEqual([
      ...Array.from({ length: 8 }, (_, i) => ['NotificationCreated', String(i + 33)]),
      ['NotificationStreamReady', '40'],
    ]);
  });

  it('a connected event stream whose client stops reading is cut off; other streams carry on', async () => {
    const bob = await signUp(server);
    const reader = subscribe(server, bob.headers, 'single');
    open.push(reader);
    expect(await reader.next()).toMatchObject({ __typename: 'NotificationStreamReady' });

    const alice = await signUp(server);
    const token = (await reserve(server, alice)).body;
    const stalled = await connectStalled(server, alice, '/graphql/stream', { [tokenHeader]: token });
    expect(stalled.status).toBe(200);
    expect(await operate(server, alice, token)).toBe(202);
    await expect.poll(() => streamsOf(server, alice)).toBe(1);

    await publishUntilCut(server, alice);
    await stalled.closed();
    await expect.poll(() => streamsOf(server, alice)).toBe(0);
    await expect.poll(() => server.app.streams.idleReservations(alice.id)).toBe(0);
    expect((await reserve(server, alice, token)).status).toBe(201);

    await server.app.notifications.create({ recipientId: bob.id, title: 'still fine' });
    expect(await reader.waitFor((e) => e.__typename === 'NotificationCreated')).toMatchObject({ cursor: '1' });
  });

  it('so is a distinct-connection stream that graphql-sse serves on /graphql/stream', async () => {
    const alice = await signUp(server);
    const stalled = await connectStalled(server, alice, `/graphql/stream?query=${encodeURIComponent(events)}`, {});
    expect(stalled.status).toBe(200);
    await expect.poll(() => streamsOf(server, alice)).toBe(1);

    await publishUntilCut(server, alice);
    await stalled.closed();
    await expect.poll(() => streamsOf(server, alice)).toBe(0);
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

  it('a subscription refused in a reservation (TOO_MANY_STREAMS) reaches its client as a GraphQL error, then complete', async () => {
    const erin = await signUp(server);
    const token = (await reserve(server, erin)).body;
    const controller = new AbortController();
    const connected = await fetch(`${server.url}/graphql/stream`, {
      headers: { ...erin.headers, accept: 'text/event-stream', [tokenHeader]: token },
      signal: controller.signal,
    });
    let text = '';
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of connected.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
      }
    })().catch(() => undefined);
    // Three streams fill erin's slots (the reservation's first stream takes its slot): the fourth is refused.
    for (const id of ['1', '2', '3']) expect(await operate(server, erin, token, id)).toBe(202);
    await expect.poll(() => streamsOf(server, erin)).toBe(3);
    expect(await operate(server, erin, token, '4')).toBe(202);
    await expect.poll(() => text).toMatch(/event: complete\ndata: \{"id":"4"\}/);
    const refused = /event: next\ndata: (\{"id":"4".*)\n/.exec(text)?.[1];
    expect(JSON.parse(refused ?? 'null')).toMatchObject({
      id: '4',
      payload: { data: null, errors: [{ extensions: { code: 'TOO_MANY_STREAMS' } }] },
    });
    expect(streamsOf(server, erin)).toBe(3);
    controller.abort();
    await expect.poll(() => streamsOf(server, erin)).toBe(0);
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
