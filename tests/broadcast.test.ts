import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, signUp, type TestUser } from './helpers/auth.ts';
import { logOf } from './helpers/events.ts';
import { codes, gql } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { subscribe } from './helpers/sse.ts';

// createNotifications (issue 13): one notification to many users, each their own, on both
// engines; who may send it, the one-target rule, muted kinds, topics, everyone, and the CLI.

let server: TestServer;
let sender: Record<string, string>;
beforeAll(async () => {
  server = await startServer();
  sender = await createApiKey(server, await signUp(server), ['notify:any']);
});
afterAll(async () => server?.dispose());

const broadcast = (input: Record<string, unknown>, headers = sender) =>
  gql<{ createNotifications: { batchId: string; count: number; skipped: number } }>(
    server,
    'mutation ($input: CreateNotificationsInput!) { createNotifications(input: $input) { batchId count skipped } }',
    { input },
    headers,
  );

async function inbox(user: TestUser) {
  return server.app.db.prisma.notification.findMany({ where: { recipientId: user.id } });
}

describe('createNotifications', () => {
  it('is for admins and API keys with notify:any only', async () => {
    const plain = await signUp(server);
    expect(codes(await broadcast({ title: 'x', recipientIds: [plain.id] }, plain.headers))).toEqual(['FORBIDDEN']);
    const ownKey = await createApiKey(server, plain, []);
    expect(codes(await broadcast({ title: 'x', recipientIds: [plain.id] }, ownKey))).toEqual(['FORBIDDEN']);
    expect(await inbox(plain)).toEqual([]);
  });

  it('takes exactly one target, and refuses unknown recipients, too many, or bad content, sending nothing', async () => {
    const user = await signUp(server);
    const cases: [Record<string, unknown>, string][] = [
      [{ title: 'x' }, 'recipientIds'],
      [{ title: 'x', recipientIds: [user.id], topic: 't' }, 'topic'],
      [{ title: 'x', allUsers: false }, 'recipientIds'],
      [{ title: 'x', recipientIds: [user.id, 'nobody'] }, 'recipientIds'],
      [{ title: 'x', recipientEmails: [user.email, 'nobody@example.com'] }, 'recipientEmails'],
      [{ title: 'x', recipientIds: Array.from({ length: 10_001 }, (_, i) => `u${i}`) }, 'recipientIds'],
      [{ title: 'x', recipientIds: [] }, 'recipientIds'],
      [{ title: 'x', topic: 'no spaces please' }, 'topic'],
      [{ title: '', recipientIds: [user.id] }, 'title'],
      [{ title: 'x', recipientIds: [user.id], kind: 'bad kind' }, 'kind'],
    ];
    for (const [input, field] of cases) {
      const answer = await broadcast(input);
      expect(codes(answer), JSON.stringify(input).slice(0, 80)).toEqual(['BAD_USER_INPUT']);
      expect(answer.errors?.[0]?.extensions?.field).toBe(field);
    }
    expect((await broadcast({ title: 'x', recipientIds: [user.id, 'nobody'] })).errors?.[0]?.message).toContain(
      'nobody',
    );
    expect(await inbox(user)).toEqual([]);
  });

  it('gives each recipient their own notification and event; those who muted the kind get it archived (skipped)', async () => {
    const [ann, ben, cat] = [await signUp(server), await signUp(server), await signUp(server)];
    await gql(server, 'mutation { setNotificationPreference(kind: "digest", inApp: false) { kind } }', {}, cat.headers);
    const stream = subscribe(server, ann.headers);
    await stream.next();
    const sent = await broadcast({
      title: 'Weekly digest',
      kind: 'digest',
      recipientEmails: [ann.email, ben.email, cat.email.toUpperCase()],
    });
    expect(sent.data?.createNotifications).toMatchObject({ count: 2, skipped: 1, batchId: expect.any(String) });
    const batchId = sent.data?.createNotifications.batchId;
    expect(await stream.waitFor((event) => event.__typename === 'NotificationCreated')).toMatchObject({
      unreadCount: 1,
      notification: { title: 'Weekly digest' },
    });
    stream.dispose();
    const rows = await Promise.all([ann, ben, cat].map(inbox));
    expect(rows.map((mine) => mine.length)).toEqual([1, 1, 1]);
    expect(new Set(rows.flat().map((row) => row.id)).size).toBe(3);
    expect(rows.flat().every((row) => row.batchId === batchId)).toBe(true);
    expect(rows[2]?.[0]).toMatchObject({ archivedAt: expect.any(Date), readAt: expect.any(Date) });
    for (const user of [ann, ben, cat]) expect((await logOf(server, user)).at(-1)?.type).toBe('NotificationCreated');
  });

  it('reaches everyone following a topic, and no one else', async () => {
    const [dee, eve, fay] = [await signUp(server), await signUp(server), await signUp(server)];
    for (const user of [dee, eve]) {
      await gql(server, 'mutation { subscribeToTopic(topic: "release:1.2") }', {}, user.headers);
    }
    const sent = await broadcast({ title: 'Release 1.2 is out', topic: 'release:1.2' });
    expect(sent.data?.createNotifications).toMatchObject({ count: 2, skipped: 0 });
    expect((await inbox(dee)).length).toBe(1);
    expect((await inbox(eve)).length).toBe(1);
    expect((await inbox(fay)).length).toBe(0);
    expect((await broadcast({ title: 'nobody', topic: 'empty-topic' })).data?.createNotifications).toMatchObject({
      count: 0,
      skipped: 0,
    });
  });

  it('allUsers reaches every user who can sign in: not banned users, not the service user', async () => {
    const banned = await signUp(server);
    await server.app.db.prisma.user.update({ where: { id: banned.id }, data: { banned: true } });
    const lifted = await signUp(server);
    await server.app.db.prisma.user.update({
      where: { id: lifted.id },
      data: { banned: true, banExpires: new Date(Date.now() - 60_000) },
    });
    await server.app.db.prisma.user.create({
      data: { id: 'service-user', email: 'service@tidings.local', name: 'Tidings service', emailVerified: true },
    });
    const everyone = await server.app.db.prisma.user.count();
    const sent = await broadcast({ title: 'Maintenance tonight', allUsers: true });
    expect(sent.data?.createNotifications.count).toBe(everyone - 2);
    expect((await inbox(banned)).length).toBe(0);
    expect((await inbox(lifted)).length).toBe(1);
    expect(await server.app.db.prisma.notification.count({ where: { recipientId: 'service-user' } })).toBe(0);
  });

  it('lands every notification and event exactly once for 3,000 recipients, in group-committed batches', async () => {
    const ids = Array.from({ length: 3_000 }, (_, i) => `bulk-${i}-${Math.random().toString(36).slice(2, 8)}`);
    await server.app.db.prisma.user.createMany({
      data: ids.map((id) => ({ id, email: `${id}@example.com`, name: id })),
    });
    const sent = await broadcast({ title: 'To many', recipientIds: ids });
    expect(sent.data?.createNotifications).toMatchObject({ count: 3_000, skipped: 0 });
    const perUser = await server.app.db.prisma.userEvent.groupBy({
      by: ['userId'],
      where: { userId: { startsWith: 'bulk-' } },
      _count: { _all: true },
      _max: { seq: true },
    });
    expect(perUser).toHaveLength(3_000);
    expect(perUser.every((row) => row._count._all === 1 && row._max.seq === 1)).toBe(true);
    expect(await server.app.db.prisma.notification.count({ where: { recipientId: { in: ids.slice(0, 900) } } })).toBe(
      900,
    );
  }, 60_000);

  it("a user's own notification waits behind one batch of a big send, not behind all of it", async () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => `lane-${i}-${Math.random().toString(36).slice(2, 8)}`);
    await server.app.db.prisma.user.createMany({
      data: ids.map((id) => ({ id, email: `${id}@example.com`, name: id })),
    });
    const alice = await signUp(server);
    const batchId = { value: '' };
    const toMany = server.app.notifications.createMany({ title: 'Announcement' }, ids).then((sent) => {
      batchId.value = sent.batchId;
      return sent;
    });
    // Sent after the 2,000 were queued: it commits with the next batch, ahead of the rest of the send.
    const own = await server.app.notifications.create({ recipientId: alice.id, title: 'Your own' });
    expect(own.title).toBe('Your own');
    // In one queue it would have waited for all 2,000: the send would have answered first.
    expect(batchId.value).toBe('');
    expect(await toMany).toMatchObject({ count: 2_000 });
  }, 60_000);
});

describe('tidings notify --topic / --all', () => {
  const bin = path.join(import.meta.dirname, '..', 'server', 'bin', 'tidings.js');
  it('sends to a topic through the running server, and refuses two targets', { timeout: 60_000 }, async () => {
    const gil = await signUp(server);
    await gql(server, 'mutation { subscribeToTopic(topic: "ops") }', {}, gil.headers);
    const env = {
      ...process.env,
      DATABASE_URL: server.config.databaseUrl,
      BETTER_AUTH_SECRET: server.config.authSecret,
      TIDINGS_DATA_DIR: server.config.dataDir,
      TIDINGS_URL: server.url,
      LOG_LEVEL: 'warn',
    };
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, [bin, ...args], { env }).then(
        (out) => ({ code: 0, ...out }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    const sent = await run('notify', '--topic', 'ops', '--title', 'Disk almost full');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/Sent batch \S+: 1 recipient through/);
    expect((await inbox(gil)).map((row) => row.title)).toEqual(['Disk almost full']);
    const both = await run('notify', '--topic', 'ops', '--all', '--title', 'x');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('notify needs exactly one of --to, --topic or --all (got --topic and --all).');
  });
});

describe('sentNotifications (receipts for senders)', () => {
  const receipts = (headers: Record<string, string>, args: string, variables: Record<string, unknown> = {}) =>
    gql<{
      sentNotifications: {
        edges: { cursor: string; node: Record<string, unknown> }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        totals: { total: number; seen: number; read: number; acted: number };
      };
    }>(
      server,
      `query (${Object.entries({ ids: '[ID!]', batchId: 'ID', first: 'Int', after: 'String' })
        .filter(([name]) => args.includes(`$${name}`))
        .map(([name, type]) => `$${name}: ${type}`)
        .join(', ')}) {
        sentNotifications(${args}) {
          edges { cursor node { id recipientId createdAt seenAt readAt actedAt actionId archivedAt deleted } }
          pageInfo { hasNextPage endCursor }
          totals { total seen read acted }
        }
      }`,
      variables,
      headers,
    );

  it('say what each recipient did, to the key that sent them and no one else', async () => {
    const [seer, actor, deleter] = [await signUp(server), await signUp(server), await signUp(server)];
    const key = await createApiKey(server, await signUp(server), ['notify:any']);
    const sent = await broadcast(
      { title: 'Approve?', recipientIds: [seer.id, actor.id, deleter.id], actions: [{ id: 'ok', label: 'OK' }] },
      key,
    );
    const batchId = sent.data?.createNotifications.batchId as string;
    const mine = async (user: TestUser) => ((await inbox(user))[0] as { id: string }).id;
    await gql(server, 'mutation { markNotificationsSeen { count } }', {}, seer.headers);
    await gql(
      server,
      'mutation ($id: ID!) { performNotificationAction(id: $id, actionId: "ok") { id } }',
      { id: await mine(actor) },
      actor.headers,
    );
    await gql(
      server,
      'mutation ($id: ID!) { deleteNotification(id: $id) }',
      { id: await mine(deleter) },
      deleter.headers,
    );

    const all = await receipts(key, 'batchId: $batchId', { batchId });
    expect(all.errors).toBeUndefined();
    expect(all.data?.sentNotifications.totals).toEqual({ total: 3, seen: 2, read: 1, acted: 1 });
    const byRecipient = new Map(all.data?.sentNotifications.edges.map((edge) => [edge.node.recipientId, edge.node]));
    expect(byRecipient.get(seer.id)).toMatchObject({ seenAt: expect.any(String), readAt: null, deleted: false });
    expect(byRecipient.get(actor.id)).toMatchObject({ actionId: 'ok', readAt: expect.any(String), deleted: false });
    expect(byRecipient.get(deleter.id)).toMatchObject({ deleted: true });
    // The deleted one is gone for its recipient: not listed, not counted, NOT_FOUND to every change.
    const gone = await gql(
      server,
      '{ notifications { edges { node { id } } } notificationCounts { unread } }',
      {},
      deleter.headers,
    );
    expect(gone.data).toEqual({ notifications: { edges: [] }, notificationCounts: { unread: 0 } });

    // Another sender, even an admin with every permission, sees nothing of it.
    const other = await createApiKey(server, await signUp(server, { admin: true }));
    const theirs = await receipts(other, 'batchId: $batchId', { batchId });
    expect(theirs.data?.sentNotifications).toMatchObject({
      edges: [],
      totals: { total: 0, seen: 0, read: 0, acted: 0 },
    });

    // Pages in id order.
    const first = await receipts(key, 'batchId: $batchId, first: $first', { batchId, first: 2 });
    expect(first.data?.sentNotifications.pageInfo.hasNextPage).toBe(true);
    const rest = await receipts(key, 'batchId: $batchId, first: $first, after: $after', {
      batchId,
      first: 2,
      after: first.data?.sentNotifications.pageInfo.endCursor,
    });
    expect(rest.data?.sentNotifications.edges).toHaveLength(1);
    expect(rest.data?.sentNotifications.pageInfo.hasNextPage).toBe(false);
    const ids = [...(first.data?.sentNotifications.edges ?? []), ...(rest.data?.sentNotifications.edges ?? [])].map(
      (edge) => edge.node.id,
    );
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(3);
  });

  it('by ids, for what a signed-in user sent to themselves; bad arguments name their field', async () => {
    const hal = await signUp(server);
    const made = await gql<{ createNotification: { id: string } }>(
      server,
      'mutation { createNotification(input: { title: "note to self" }) { id } }',
      {},
      hal.headers,
    );
    const id = made.data?.createNotification.id as string;
    await gql(server, 'mutation ($id: ID!) { markNotificationRead(id: $id) { id } }', { id }, hal.headers);
    const mine = await receipts(hal.headers, 'ids: $ids', { ids: [id, 'not-one-of-mine'] });
    expect(mine.errors).toBeUndefined();
    expect(mine.data?.sentNotifications.totals).toEqual({ total: 1, seen: 1, read: 1, acted: 0 });
    for (const [args, variables, field] of [
      ['ids: $ids, batchId: $batchId', { ids: [id], batchId: 'b' }, 'ids'],
      ['first: $first', { first: 5 }, 'ids'],
      ['ids: $ids', { ids: Array.from({ length: 101 }, (_, i) => `n${i}`) }, 'ids'],
      ['ids: $ids, first: $first', { ids: [id], first: 101 }, 'first'],
      ['ids: $ids, first: $first', { ids: [id], first: 0 }, 'first'],
    ] as const) {
      const bad = await receipts(hal.headers, args, variables);
      expect(codes(bad), args).toEqual(['BAD_USER_INPUT']);
      expect(bad.errors?.[0]?.extensions?.field).toBe(field);
    }
    expect(codes(await receipts({}, 'ids: $ids', { ids: [id] }))).toEqual(['UNAUTHENTICATED']);
  });
});
