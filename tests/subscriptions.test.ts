import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, type TestUser } from './helpers/auth.ts';
import { gql, notify } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { type SseMode, subscribe, type TestSubscription } from './helpers/sse.ts';

const modes: SseMode[] = ['distinct', 'single'];

describe.each(modes)('notificationEvents over SSE, %s-connection mode', (mode) => {
  let server: TestServer;
  const open: TestSubscription[] = [];
  const listen = (user: TestUser) => {
    const subscription = subscribe(server, user.headers, mode);
    open.push(subscription);
    return subscription;
  };

  beforeAll(async () => {
    server = await startServer({ heartbeatMs: 250 });
  });
  afterAll(async () => {
    for (const subscription of open) subscription.dispose();
    await server?.dispose();
  });

  it('starts with NotificationStreamReady carrying the latest cursor and unread count', async () => {
    const alice = await signUp(server);
    const fresh = listen(alice);
    expect(await fresh.next()).toMatchObject({ __typename: 'NotificationStreamReady', cursor: '', unreadCount: 0 });
    fresh.dispose();

    await notify(server, alice.headers, { title: 'one' });
    await notify(server, alice.headers, { title: 'two' });
    const later = listen(alice);
    const ready = await later.next();
    expect(ready).toMatchObject({ __typename: 'NotificationStreamReady', cursor: '2', unreadCount: 2 });
    expect(Number.isNaN(Date.parse(String(ready.at)))).toBe(false);
  });

  it('delivers created, read, deleted and all-read events in order with the authoritative unread count', async () => {
    const alice = await signUp(server);
    const stream = listen(alice);
    await stream.next();

    const first = await notify(server, alice.headers, { title: 'first' });
    const second = await notify(server, alice.headers, { title: 'second' });
    const third = await notify(server, alice.headers, { title: 'third' });
    await gql(server, 'mutation($id: ID!) { markNotificationRead(id: $id) { id } }', { id: first.id }, alice.headers);
    await gql(server, 'mutation($id: ID!) { deleteNotification(id: $id) }', { id: second.id }, alice.headers);
    await gql(server, 'mutation { markAllNotificationsRead { count } }', {}, alice.headers);

    const events = [];
    for (let i = 0; i < 6; i++)
      events.push(await stream.waitFor((event) => event.__typename !== 'NotificationStreamHeartbeat'));
    expect(events).toMatchObject([
      {
        __typename: 'NotificationCreated',
        cursor: '1',
        unreadCount: 1,
        notification: { id: first.id, title: 'first', read: false },
      },
      { __typename: 'NotificationCreated', cursor: '2', unreadCount: 2, notification: { id: second.id } },
      { __typename: 'NotificationCreated', cursor: '3', unreadCount: 3, notification: { id: third.id } },
      { __typename: 'NotificationRead', cursor: '4', unreadCount: 2, notification: { id: first.id, read: true } },
      { __typename: 'NotificationDeleted', cursor: '5', unreadCount: 1, notificationId: second.id },
      { __typename: 'AllNotificationsRead', cursor: '6', unreadCount: 0, count: 1 },
    ]);
  });

  it("sends every event to each of a user's streams and none to another user's", async () => {
    const alice = await signUp(server);
    const bob = await signUp(server);
    const tabOne = listen(alice);
    const tabTwo = listen(alice);
    const bobs = listen(bob);
    for (const stream of [tabOne, tabTwo, bobs]) await stream.next();

    const sent = await notify(server, alice.headers, { title: 'for alice' });
    for (const tab of [tabOne, tabTwo]) {
      expect(await tab.waitFor((event) => event.__typename === 'NotificationCreated')).toMatchObject({
        notification: { id: sent.id },
      });
    }
    // Bob's own event comes through; Alice's never reached his stream before it.
    const own = await notify(server, bob.headers, { title: 'for bob' });
    const bobEvents = [];
    for (;;) {
      const event = await bobs.waitFor((e) => e.__typename !== 'NotificationStreamHeartbeat');
      bobEvents.push(event);
      if (event.__typename === 'NotificationCreated') break;
    }
    expect(bobEvents).toEqual([expect.objectContaining({ notification: expect.objectContaining({ id: own.id }) })]);
  });

  it('sends heartbeats at the configured interval with the last delivered cursor', async () => {
    const alice = await signUp(server);
    await notify(server, alice.headers, { title: 'before' });
    const stream = listen(alice);
    await stream.next();
    const beat = await stream.waitFor((event) => event.__typename === 'NotificationStreamHeartbeat', 3_000);
    expect(beat).toMatchObject({ cursor: '1', unreadCount: 1 });
    await notify(server, alice.headers, { title: 'after' });
    await stream.waitFor((event) => event.__typename === 'NotificationCreated');
    const next = await stream.waitFor((event) => event.__typename === 'NotificationStreamHeartbeat', 3_000);
    expect(next).toMatchObject({ cursor: '2', unreadCount: 2 });
  });

  it('counts open streams in the stats and leaves nothing behind when clients close', async () => {
    const admin = await signUp(server, { admin: true });
    const alice = await signUp(server);
    const before = server.app.streams.stats().totalConnections;
    const streams = [listen(alice), listen(alice), listen(admin)];
    for (const stream of streams) await stream.next();

    const stats = await gql(
      server,
      '{ notificationStreamStats { totalConnections activeUsers connectionsPerUser { userId connectionCount } } }',
      {},
      admin.headers,
    );
    expect(stats.data?.notificationStreamStats).toMatchObject({ totalConnections: before + 3 });
    expect(stats.data?.notificationStreamStats.connectionsPerUser).toEqual(
      expect.arrayContaining([
        { userId: alice.id, connectionCount: 2 },
        { userId: admin.id, connectionCount: 1 },
      ]),
    );

    for (const subscription of open) subscription.dispose();
    open.length = 0;
    await expect
      .poll(() => server.app.streams.stats(), { timeout: 5_000 })
      .toEqual({
        totalConnections: 0,
        activeUsers: 0,
        connectionsPerUser: [],
      });
    expect(server.app.pubsub.listenerCount()).toBe(0);
    expect(server.app.streams.hasTimer).toBe(false);
    expect(server.logs.filter((line) => line.msg === 'stream closed').at(-1)).toMatchObject({ totalStreams: 0 });
  });
});

describe('event stream responses', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.dispose());

  it('tell proxies not to cache or buffer them', async () => {
    const alice = await signUp(server);
    const query = encodeURIComponent('subscription { notificationEvents { __typename } }');
    const controller = new AbortController();
    const response = await fetch(`${server.url}/graphql?query=${query}`, {
      headers: { ...alice.headers, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    controller.abort();
  });

  it('answer HTTP 401 to a subscription without credentials, in both modes', async () => {
    const query = encodeURIComponent('subscription { notificationEvents { __typename } }');
    const distinct = await fetch(`${server.url}/graphql?query=${query}`, { headers: { accept: 'text/event-stream' } });
    expect(distinct.status).toBe(401);
    await distinct.body?.cancel();
    const reservation = await fetch(`${server.url}/graphql/stream`, { method: 'PUT' });
    expect(reservation.status).toBe(401);
    expect(await reservation.json()).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('refuses a single-connection stream token reserved by another user', async () => {
    const alice = await signUp(server);
    const mallory = await signUp(server);
    const reservation = await fetch(`${server.url}/graphql/stream`, { method: 'PUT', headers: alice.headers });
    expect(reservation.status).toBe(201);
    const token = await reservation.text();
    const hijack = await fetch(`${server.url}/graphql/stream`, {
      method: 'GET',
      headers: { ...mallory.headers, accept: 'text/event-stream', 'x-graphql-event-stream-token': token },
    });
    expect(hijack.status).toBe(403);
  });
});
