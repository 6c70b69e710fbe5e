import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceUserEmail } from '../server/cli/cli.ts';
import { createApiKey, createOwnApiKey, signUp, type TestUser } from './helpers/auth.ts';
import { provider } from './helpers/database.ts';
import { codes, gql, notify } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { subscribe } from './helpers/sse.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ maxApiKeysPerUser: 3 });
});
afterAll(async () => server?.dispose());

const statsQuery = '{ notificationStreamStats { totalConnections } }';
const create = 'mutation($input: CreateNotificationInput!) { createNotification(input: $input) { id recipientId } }';

async function ownKey(user: TestUser) {
  const made = await createOwnApiKey(server, user);
  expect(made.status).toBe(200);
  return made.headers;
}

describe('a key a user makes through /api/auth/api-key/create', () => {
  it('acts as that user: me, their own notifications, their own stream', async () => {
    const alice = await signUp(server);
    const key = await ownKey(alice);
    expect((await gql(server, '{ me { id } }', {}, key)).data?.me).toEqual({ id: alice.id });
    const stream = subscribe(server, key);
    expect(await stream.next()).toMatchObject({ __typename: 'NotificationStreamReady' });
    const sent = await notify(server, key, { title: 'to myself' });
    expect(sent).toMatchObject({ recipientId: alice.id });
    expect(await stream.waitFor((event) => event.__typename === 'NotificationCreated')).toMatchObject({
      notification: { id: sent.id },
    });
    stream.dispose();
  });

  it('may not notify anyone else, by id or by email, nor read stream statistics', async () => {
    const mallory = await signUp(server);
    const bob = await signUp(server);
    const key = await ownKey(mallory);
    const byId = await gql(server, create, { input: { recipientId: bob.id, title: 'Reset your password' } }, key);
    expect(codes(byId)).toEqual(['FORBIDDEN']);
    const byEmail = await gql(server, create, { input: { recipientEmail: bob.email, title: 'Hi' } }, key);
    expect(codes(byEmail)).toEqual(['FORBIDDEN']);
    expect(codes(await gql(server, statsQuery, {}, key))).toEqual(['FORBIDDEN']);
    expect(await server.app.db.prisma.notification.count({ where: { recipientId: bob.id } })).toBe(0);
  });

  it('learns nothing from recipientEmail: an unknown address answers exactly as a known one', async () => {
    const mallory = await signUp(server);
    const bob = await signUp(server);
    for (const headers of [mallory.headers, await ownKey(mallory)]) {
      const known = await gql(server, create, { input: { recipientEmail: bob.email, title: 'x' } }, headers);
      const unknown = await gql(
        server,
        create,
        { input: { recipientEmail: 'nobody@example.com', title: 'x' } },
        headers,
      );
      expect(codes(known)).toEqual(['FORBIDDEN']);
      expect(unknown).toEqual(known);
    }
  });

  it('cannot be given permissions by the user who makes it', async () => {
    const mallory = await signUp(server);
    const refused = await createOwnApiKey(server, mallory, { permissions: { notify: ['any'], stats: ['read'] } });
    expect(refused.status).toBe(400);
    expect(refused.key).toBeUndefined();
  });

  it("of an admin is as plain as anyone's: only the admin's session holds the admin's powers", async () => {
    const admin = await signUp(server, { admin: true });
    const bob = await signUp(server);
    const key = await ownKey(admin);
    expect(codes(await gql(server, create, { input: { recipientId: bob.id, title: 'x' } }, key))).toEqual([
      'FORBIDDEN',
    ]);
    expect(codes(await gql(server, statsQuery, {}, key))).toEqual(['FORBIDDEN']);
    expect(await notify(server, admin.headers, { recipientId: bob.id, title: 'from the admin' })).toMatchObject({
      recipientId: bob.id,
    });
    expect((await gql(server, statsQuery, {}, admin.headers)).errors).toBeUndefined();
  });

  it('a user holds at most TIDINGS_MAX_API_KEYS_PER_USER of them; deleting one makes room', async () => {
    const carol = await signUp(server);
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await createOwnApiKey(server, carol));
    expect(made.map((key) => key.status)).toEqual([200, 200, 200]);
    const fourth = await createOwnApiKey(server, carol);
    expect(fourth.status).toBe(403);
    expect(fourth).toMatchObject({ code: 'TOO_MANY_API_KEYS' });
    expect(await server.app.db.prisma.apikey.count({ where: { referenceId: carol.id } })).toBe(3);
    // Another user is not affected.
    expect((await createOwnApiKey(server, await signUp(server))).status).toBe(200);

    const deleted = await fetch(`${server.url}/api/auth/api-key/delete`, {
      method: 'POST',
      headers: { ...carol.headers, 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({ keyId: made[0]?.id }),
    });
    expect(deleted.status).toBe(200);
    expect((await createOwnApiKey(server, carol)).status).toBe(200);
    // An operator (the server side) may still give the user a key.
    await createApiKey(server, carol);
    expect(await server.app.db.prisma.apikey.count({ where: { referenceId: carol.id } })).toBe(4);
  });
});

describe('keys an operator makes carry their permissions', () => {
  it('notify:any notifies anyone, by id or by email; stats:read reads statistics; each only its own', async () => {
    const service = await signUp(server);
    const bob = await signUp(server);
    const notifier = await createApiKey(server, service, ['notify:any']);
    const reader = await createApiKey(server, service, ['stats:read']);
    const both = await createApiKey(server, service);

    expect(await notify(server, notifier, { recipientId: bob.id, title: 'by id' })).toMatchObject({
      recipientId: bob.id,
    });
    expect(await notify(server, both, { recipientEmail: bob.email, title: 'by email' })).toMatchObject({
      recipientId: bob.id,
    });
    const unknown = await gql(server, create, { input: { recipientEmail: 'nobody@example.com', title: 'x' } }, both);
    expect(codes(unknown)).toEqual(['BAD_USER_INPUT']);
    expect(codes(await gql(server, statsQuery, {}, notifier))).toEqual(['FORBIDDEN']);

    expect(codes(await gql(server, create, { input: { recipientId: bob.id, title: 'x' } }, reader))).toEqual([
      'FORBIDDEN',
    ]);
    expect((await gql(server, statsQuery, {}, reader)).errors).toBeUndefined();
    expect((await gql(server, statsQuery, {}, both)).errors).toBeUndefined();
  });

  it("the upgrade gives the service user's existing keys the powers every key had, and no one else's", async () => {
    const migration = readFileSync(
      path.join(
        import.meta.dirname,
        '..',
        'prisma',
        'migrations',
        provider,
        '20261202010000_operator_key_permissions',
        'migration.sql',
      ),
      'utf8',
    );
    const service = await server.app.db.prisma.user.upsert({
      where: { email: serviceUserEmail },
      update: {},
      create: { id: 'service-upgrade', email: serviceUserEmail, name: 'Tidings service', emailVerified: true },
    });
    const dave = await signUp(server);
    const old = await createApiKey(server, service, []);
    const plain = await createApiKey(server, dave, []);
    await server.app.db.prisma.$executeRawUnsafe(migration);

    const bob = await signUp(server);
    expect(await notify(server, old, { recipientId: bob.id, title: 'still works' })).toMatchObject({
      recipientId: bob.id,
    });
    expect((await gql(server, statsQuery, {}, old)).errors).toBeUndefined();
    expect(codes(await gql(server, create, { input: { recipientId: bob.id, title: 'x' } }, plain))).toEqual([
      'FORBIDDEN',
    ]);
  });
});
