import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieOf, createApiKey, signUp } from './helpers/auth.ts';
import { codes, gql, notify } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { subscribe } from './helpers/sse.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => server?.dispose());

const statsQuery = '{ notificationStreamStats { totalConnections activeUsers } }';

describe('without a session or an API key', () => {
  it.each([
    ['me', '{ me { id } }'],
    ['notifications', '{ notifications { edges { node { id } } } }'],
    ['unreadNotificationCount', '{ unreadNotificationCount }'],
    ['notificationStreamStats', statsQuery],
    ['createNotification', 'mutation { createNotification(input: { title: "x", recipientId: "someone" }) { id } }'],
    ['markNotificationRead', 'mutation { markNotificationRead(id: "x") { id } }'],
    ['markAllNotificationsRead', 'mutation { markAllNotificationsRead { count } }'],
    ['deleteNotification', 'mutation { deleteNotification(id: "x") }'],
  ])('%s answers UNAUTHENTICATED', async (_name, query) => {
    const result = await gql(server, query);
    expect(codes(result)).toEqual(['UNAUTHENTICATED']);
  });

  it('introspection still works, so GraphiQL can show the schema before signing in', async () => {
    const result = await gql(server, '{ __schema { queryType { name } subscriptionType { name } } }');
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      __schema: { queryType: { name: 'Query' }, subscriptionType: { name: 'Subscription' } },
    });
  });

  it('a wrong API key is no better than none, and the answer says the key is invalid', async () => {
    const result = await gql(server, '{ me { id } }', {}, { 'x-api-key': 'tid_not-a-real-key' });
    expect(codes(result)).toEqual(['UNAUTHENTICATED']);
    expect(result.errors?.[0]?.message).toMatch(/^Invalid API key/);
    const none = await gql(server, '{ me { id } }');
    expect(none.errors?.[0]?.message).toMatch(/^Sign in or send an API key/);
    const stream = await fetch(
      `${server.url}/graphql?query=${encodeURIComponent('subscription { notificationEvents { __typename } }')}`,
      { headers: { accept: 'text/event-stream', 'x-api-key': 'tid_not-a-real-key' } },
    );
    expect(stream.status).toBe(401);
    expect(await stream.text()).toContain('Invalid API key');
    // The same on graphql-sse's single-connection endpoint.
    const reservation = await fetch(`${server.url}/graphql/stream`, {
      method: 'PUT',
      headers: { 'x-api-key': 'tid_not-a-real-key' },
    });
    expect(reservation.status).toBe(401);
    expect(await reservation.text()).toContain('Invalid API key');
  });
});

describe('sessions', () => {
  it('sign-up, sign-in and sign-out work with the httpOnly session cookie', async () => {
    const alice = await signUp(server, { name: 'Alice' });
    const me = await gql(server, '{ me { id email name role } }', {}, alice.headers);
    expect(me.data?.me).toEqual({ id: alice.id, email: alice.email, name: 'Alice', role: 'user' });

    const signIn = await fetch(`${server.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: alice.email, password: alice.password }),
    });
    expect(signIn.status).toBe(200);
    expect(signIn.headers.getSetCookie().join('\n')).toMatch(/HttpOnly/i);
    const session = { cookie: cookieOf(signIn) };
    expect((await gql(server, '{ me { id } }', {}, session)).data?.me).toEqual({ id: alice.id });

    const signOut = await fetch(`${server.url}/api/auth/sign-out`, {
      method: 'POST',
      headers: { ...session, 'content-type': 'application/json', origin: new URL(server.config.publicUrl).origin },
      body: '{}',
    });
    expect(signOut.status).toBe(200);
    expect(codes(await gql(server, '{ me { id } }', {}, session))).toEqual(['UNAUTHENTICATED']);
    // The sign-up session is a different one and still works.
    expect((await gql(server, '{ me { id } }', {}, alice.headers)).data?.me).toEqual({ id: alice.id });
  });

  it('a wrong password is refused', async () => {
    const alice = await signUp(server);
    const response = await fetch(`${server.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: alice.email, password: 'not the password' }),
    });
    expect(response.status).toBe(401);
  });
});

describe('who may do what', () => {
  it('a user notifies only themselves', async () => {
    const alice = await signUp(server);
    const bob = await signUp(server);
    const own = await notify(server, alice.headers, { title: 'note to self' });
    expect(own.recipientId).toBe(alice.id);
    const other = await gql(
      server,
      'mutation($input: CreateNotificationInput!) { createNotification(input: $input) { id } }',
      { input: { recipientId: bob.id, title: 'hi bob' } },
      alice.headers,
    );
    expect(codes(other)).toEqual(['FORBIDDEN']);
  });

  it('admins and API keys notify anyone, and read stream stats; users may not read them', async () => {
    const admin = await signUp(server, { admin: true });
    const alice = await signUp(server);
    const service = await createApiKey(server, await signUp(server));

    const fromAdmin = await notify(server, admin.headers, { recipientId: alice.id, title: 'from admin' });
    const fromService = await notify(server, service, { recipientId: alice.id, title: 'from a service' });
    expect([fromAdmin.recipientId, fromService.recipientId]).toEqual([alice.id, alice.id]);

    expect(codes(await gql(server, statsQuery, {}, alice.headers))).toEqual(['FORBIDDEN']);
    for (const headers of [admin.headers, service]) {
      const stats = await gql(server, statsQuery, {}, headers);
      expect(stats.errors).toBeUndefined();
      expect(stats.data?.notificationStreamStats).toMatchObject({ totalConnections: expect.any(Number) });
    }
  });

  it('an API key acts for its owner: me, their notifications, and their stream', async () => {
    const owner = await signUp(server);
    const key = await createApiKey(server, owner);
    expect((await gql(server, '{ me { id } }', {}, key)).data?.me).toEqual({ id: owner.id });

    const stream = subscribe(server, key);
    expect(await stream.next()).toMatchObject({ __typename: 'NotificationStreamReady' });
    const sent = await notify(server, key, { title: 'to the owner' });
    expect(await stream.waitFor((event) => event.__typename === 'NotificationCreated')).toMatchObject({
      notification: { id: sent.id },
    });
    stream.dispose();
    const list = await gql(server, '{ notifications { edges { node { id } } } }', {}, owner.headers);
    expect(list.data?.notifications.edges).toEqual([{ node: { id: sent.id } }]);
  });

  it("another user's notification answers NOT_FOUND, exactly like one that does not exist", async () => {
    const alice = await signUp(server);
    const mallory = await signUp(server);
    const secret = await notify(server, alice.headers, { title: 'private' });
    const missing = 'cmissing000000000000000000';

    for (const mutation of [
      'mutation($id: ID!) { markNotificationRead(id: $id) { id } }',
      'mutation($id: ID!) { deleteNotification(id: $id) }',
    ]) {
      const theirs = await gql(server, mutation, { id: secret.id }, mallory.headers);
      const nobodys = await gql(server, mutation, { id: missing }, mallory.headers);
      expect(codes(theirs)).toEqual(['NOT_FOUND']);
      expect(codes(nobodys)).toEqual(['NOT_FOUND']);
      expect(theirs.errors?.[0]?.message.replace(secret.id, 'ID')).toBe(
        nobodys.errors?.[0]?.message.replace(missing, 'ID'),
      );
    }
    const list = await gql(
      server,
      '{ notifications { edges { node { id } } } unreadNotificationCount }',
      {},
      mallory.headers,
    );
    expect(list.data).toEqual({ notifications: { edges: [] }, unreadNotificationCount: 0 });
    // Alice's notification is untouched.
    const hers = await gql(server, '{ notifications { edges { node { id read } } } }', {}, alice.headers);
    expect(hers.data?.notifications.edges).toEqual([{ node: { id: secret.id, read: false } }]);
  });
});
