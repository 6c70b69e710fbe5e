import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../server/app.ts';
import { createApiKey, createOwnApiKey, signUp, type TestUser } from './helpers/auth.ts';
import { codes, gql, notify } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { notificationEvents, subscribe } from './helpers/sse.ts';

const withEndReason = notificationEvents.replace(
  '... on NotificationStreamHeartbeat { at }',
  '... on NotificationStreamHeartbeat { at } ... on NotificationStreamEnded { reason }',
);

let server: TestServer;
let admin: TestUser;
beforeAll(async () => {
  server = await startServer();
  admin = await signUp(server, { admin: true });
});
afterAll(async () => server?.dispose());

/** Calls one of the admin plugin's endpoints as the admin, through the real handler. */
async function asAdmin(action: 'ban-user' | 'unban-user', body: Record<string, unknown>) {
  const response = await fetch(`${server.url}/api/auth/admin/${action}`, {
    method: 'POST',
    headers: { ...admin.headers, 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

async function signIn(user: TestUser) {
  return fetch(`${server.url}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
}

describe('a banned user is out everywhere', () => {
  it('their open streams end at once with USER_BANNED; their keys answer 401 and their sessions UNAUTHENTICATED', async () => {
    const alice = await signUp(server);
    const bob = await signUp(server);
    const ownKey = (await createOwnApiKey(server, alice)).headers;
    const operatorKey = await createApiKey(server, alice);
    const streams = [alice.headers, ownKey, operatorKey].map((headers) =>
      subscribe(server, headers, 'distinct', withEndReason),
    );
    const single = subscribe(server, alice.headers, 'single', withEndReason);
    const bobs = subscribe(server, bob.headers);
    for (const stream of [...streams, single, bobs]) {
      expect(await stream.next()).toMatchObject({ __typename: 'NotificationStreamReady' });
    }

    await asAdmin('ban-user', { userId: alice.id, banReason: 'spam' });

    for (const stream of [...streams, single]) {
      expect(await stream.waitFor((event) => event.__typename === 'NotificationStreamEnded')).toMatchObject({
        reason: 'USER_BANNED',
      });
    }
    await expect.poll(() => server.app.streams.stats().connectionsPerUser.map((user) => user.userId)).toEqual([bob.id]);

    for (const key of [ownKey, operatorKey]) {
      const refused = await gql(server, '{ me { id } }', {}, key);
      expect(refused.status).toBe(401);
      expect(codes(refused)).toEqual(['UNAUTHENTICATED']);
      const stream = await fetch(
        `${server.url}/graphql?query=${encodeURIComponent('subscription { notificationEvents { __typename } }')}`,
        { headers: { ...key, accept: 'text/event-stream' } },
      );
      expect(stream.status).toBe(401);
      await stream.body?.cancel();
    }
    expect(codes(await gql(server, '{ me { id } }', {}, alice.headers))).toEqual(['UNAUTHENTICATED']);
    const again = await signIn(alice);
    expect(again.status).toBe(403);
    expect(await again.json()).toMatchObject({ code: 'BANNED_USER' });

    // Nobody else is touched.
    await notify(server, bob.headers, { title: 'still here' });
    expect(await bobs.waitFor((event) => event.__typename === 'NotificationCreated')).toMatchObject({
      notification: { title: 'still here' },
    });
    for (const stream of [...streams, single, bobs]) stream.dispose();
  });

  it('unbanning lets them back in: their keys work again and they can sign in', async () => {
    const carol = await signUp(server);
    const key = await createApiKey(server, carol);
    await asAdmin('ban-user', { userId: carol.id });
    expect((await gql(server, '{ me { id } }', {}, key)).status).toBe(401);

    await asAdmin('unban-user', { userId: carol.id });
    expect((await gql(server, '{ me { id } }', {}, key)).data?.me).toEqual({ id: carol.id });
    const signedIn = await signIn(carol);
    expect(signedIn.status).toBe(200);
    const stream = subscribe(server, key);
    expect(await stream.next()).toMatchObject({ __typename: 'NotificationStreamReady' });
    stream.dispose();
  });

  it('a ban whose time has run out no longer refuses their keys', async () => {
    const dave = await signUp(server);
    const key = await createApiKey(server, dave);
    await asAdmin('ban-user', { userId: dave.id, banExpiresIn: 3600 });
    expect((await gql(server, '{ me { id } }', {}, key)).status).toBe(401);
    await server.app.db.prisma.user.update({
      where: { id: dave.id },
      data: { banExpires: new Date(Date.now() - 1000) },
    });
    expect((await gql(server, '{ me { id } }', {}, key)).data?.me).toEqual({ id: dave.id });
  });
});

describe('on another instance of the same database', () => {
  let other: App;
  let otherUrl: string;
  beforeAll(async () => {
    other = await buildApp({ ...server.config, port: 0, credentialCheckMs: 200 }, silent);
    otherUrl = await other.start();
  });
  afterAll(async () => other?.stop());

  it('the banned user’s streams end with USER_BANNED within TIDINGS_CREDENTIAL_CHECK_MS', async () => {
    const erin = await signUp(server);
    const key = await createApiKey(server, erin);
    const elsewhere = { ...server, url: otherUrl } as TestServer;
    const streams = [erin.headers, key].map((headers) => subscribe(elsewhere, headers, 'distinct', withEndReason));
    for (const stream of streams) expect(await stream.next()).toMatchObject({ __typename: 'NotificationStreamReady' });

    await asAdmin('ban-user', { userId: erin.id });

    for (const stream of streams) {
      expect(await stream.waitFor((event) => event.__typename === 'NotificationStreamEnded')).toMatchObject({
        reason: 'USER_BANNED',
      });
      stream.dispose();
    }
    await expect.poll(() => other.streams.stats().totalConnections).toBe(0);
    const refused = await fetch(`${otherUrl}/graphql`, {
      method: 'POST',
      headers: { ...key, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(refused.status).toBe(401);
  });
});

const silent = { debug() {}, info() {}, warn() {}, error() {} };
