import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, type TestUser } from './helpers/auth.ts';
import { codes, createNotification, gql, notify } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => server?.dispose());

const page = /* GraphQL */ `
  query Page($first: Int, $after: String, $unreadOnly: Boolean) {
    notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
      edges { cursor node { id title read } }
      pageInfo { hasNextPage endCursor }
    }
    unreadNotificationCount
  }
`;

type Page = {
  notifications: {
    edges: { cursor: string; node: { id: string; title: string; read: boolean } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
  unreadNotificationCount: number;
};

async function titles(user: TestUser, variables: Record<string, unknown> = {}) {
  const result = await gql<Page>(server, page, variables, user.headers);
  expect(result.errors).toBeUndefined();
  return result.data as Page;
}

describe('reading and changing notifications', () => {
  it('creates a notification with every field and returns it', async () => {
    const alice = await signUp(server);
    const created = await notify(server, alice.headers, {
      title: '  Build finished  ',
      body: 'All 42 checks passed.',
      kind: 'ci.build',
      url: 'https://ci.example.com/builds/42',
      data: { build: 42, tags: ['main'] },
    });
    expect(created).toMatchObject({
      title: 'Build finished',
      body: 'All 42 checks passed.',
      kind: 'ci.build',
      url: 'https://ci.example.com/builds/42',
      data: { build: 42, tags: ['main'] },
      read: false,
      readAt: null,
      recipientId: alice.id,
    });
    expect(Date.now() - Date.parse(String(created.createdAt))).toBeLessThan(60_000);
    const minimal = await notify(server, alice.headers, { title: 'Just a title' });
    expect(minimal).toMatchObject({ kind: 'info', body: null, url: null, data: null });
  });

  it('lists newest first, pages with Relay cursors, and filters unread', async () => {
    const alice = await signUp(server);
    for (const title of ['one', 'two', 'three', 'four', 'five']) await notify(server, alice.headers, { title });

    const first = await titles(alice, { first: 2 });
    expect(first.notifications.edges.map((edge) => edge.node.title)).toEqual(['five', 'four']);
    expect(first.notifications.pageInfo.hasNextPage).toBe(true);
    const second = await titles(alice, { first: 2, after: first.notifications.pageInfo.endCursor });
    expect(second.notifications.edges.map((edge) => edge.node.title)).toEqual(['three', 'two']);
    const rest = await titles(alice, { first: 2, after: second.notifications.pageInfo.endCursor });
    expect(rest.notifications.edges.map((edge) => edge.node.title)).toEqual(['one']);
    expect(rest.notifications.pageInfo.hasNextPage).toBe(false);

    const four = first.notifications.edges[1]?.node.id;
    await gql(server, 'mutation($id: ID!) { markNotificationRead(id: $id) { id } }', { id: four }, alice.headers);
    const unread = await titles(alice, { unreadOnly: true });
    expect(unread.notifications.edges.map((edge) => edge.node.title)).toEqual(['five', 'three', 'two', 'one']);
    expect(unread.unreadNotificationCount).toBe(4);
  });

  it('marks one read, marks all read with a count, and deletes', async () => {
    const alice = await signUp(server);
    const a = await notify(server, alice.headers, { title: 'a' });
    const b = await notify(server, alice.headers, { title: 'b' });
    await notify(server, alice.headers, { title: 'c' });

    const read = await gql(
      server,
      'mutation($id: ID!) { markNotificationRead(id: $id) { id read readAt } }',
      { id: a.id },
      alice.headers,
    );
    expect(read.data?.markNotificationRead).toMatchObject({ id: a.id, read: true, readAt: expect.any(String) });
    // Marking it again changes nothing and is not an error.
    const again = await gql(
      server,
      'mutation($id: ID!) { markNotificationRead(id: $id) { readAt } }',
      { id: a.id },
      alice.headers,
    );
    expect(again.data?.markNotificationRead.readAt).toBe(read.data?.markNotificationRead.readAt);

    const all = await gql(server, 'mutation { markAllNotificationsRead { readAt count } }', {}, alice.headers);
    expect(all.data?.markAllNotificationsRead).toMatchObject({ count: 2, readAt: expect.any(String) });
    expect((await titles(alice)).unreadNotificationCount).toBe(0);
    const none = await gql(server, 'mutation { markAllNotificationsRead { count } }', {}, alice.headers);
    expect(none.data?.markAllNotificationsRead.count).toBe(0);

    const deleted = await gql(
      server,
      'mutation($id: ID!) { deleteNotification(id: $id) }',
      { id: b.id },
      alice.headers,
    );
    expect(deleted.data?.deleteNotification).toBe(b.id);
    expect((await titles(alice)).notifications.edges.map((edge) => edge.node.title)).toEqual(['c', 'a']);
    const twice = await gql(server, 'mutation($id: ID!) { deleteNotification(id: $id) }', { id: b.id }, alice.headers);
    expect(codes(twice)).toEqual(['NOT_FOUND']);
  });

  it('logs one event per change, with per-user cursors in order', async () => {
    const alice = await signUp(server);
    const bob = await signUp(server);
    const a = await notify(server, alice.headers, { title: 'a' });
    await notify(server, bob.headers, { title: 'b' });
    await gql(server, 'mutation($id: ID!) { markNotificationRead(id: $id) { id } }', { id: a.id }, alice.headers);
    await gql(server, 'mutation($id: ID!) { markNotificationRead(id: $id) { id } }', { id: a.id }, alice.headers);

    const log = await server.app.db.prisma.userEvent.findMany({ where: { userId: alice.id }, orderBy: { seq: 'asc' } });
    expect(log.map((event) => [event.seq, event.type])).toEqual([
      [1, 'NotificationCreated'],
      [2, 'NotificationRead'],
    ]);
    expect(await server.app.db.prisma.userEvent.count({ where: { userId: bob.id } })).toBe(1);
  });
});

describe('bad input answers BAD_USER_INPUT naming the field, and stores nothing', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['title', { title: '' }],
    ['title', { title: '   ' }],
    ['title', { title: 'x'.repeat(201) }],
    ['body', { title: 'ok', body: 'x'.repeat(2_001) }],
    ['url', { title: 'ok', url: 'ftp://example.com/file' }],
    ['url', { title: 'ok', url: 'javascript:alert(1)' }],
    ['url', { title: 'ok', url: 'not a url' }],
    ['data', { title: 'ok', data: { blob: 'x'.repeat(8 * 1024) } }],
    ['kind', { title: 'ok', kind: 'has spaces' }],
    ['recipientId', { title: 'ok', recipientId: 'no-such-user' }],
  ];

  it.each(cases)('%s: %j', async (field, input) => {
    const user = await signUp(server, { admin: true });
    const result = await gql(server, createNotification, { input }, user.headers);
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]?.extensions?.field).toBe(field);
    expect(result.errors?.[0]?.message).toMatch(new RegExp(`^${field}: `));
    expect(await server.app.db.prisma.notification.count({ where: { recipientId: user.id } })).toBe(0);
    expect(await server.app.db.prisma.userEvent.count({ where: { userId: user.id } })).toBe(0);
  });

  it('accepts the limits themselves', async () => {
    const alice = await signUp(server);
    const created = await notify(server, alice.headers, {
      title: 'é'.repeat(200),
      body: 'x'.repeat(2_000),
      url: 'http://localhost:3000/x',
      data: { blob: 'x'.repeat(8 * 1024 - 20) },
    });
    expect(created.title).toHaveLength(200);
  });

  it('a malformed request body answers 400', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": "{ me { id } "',
    });
    expect(response.status).toBe(400);
  });

  it('operations that are too wide or too large are refused before they run', async () => {
    // (Depth needs no test of its own: the schema has no cycles, so no query can nest deeply.)
    const alice = await signUp(server);
    const aliases = Array.from({ length: 50 }, (_, i) => `a${i}: unreadNotificationCount`).join(' ');
    const tooWide = await gql(server, `{ ${aliases} }`, {}, alice.headers);
    expect(tooWide.errors?.[0]?.message).toMatch(/alias/i);
    const hugeQuery = `{ me { ${'id '.repeat(3_000)} } }`;
    const tooLong = await gql(server, hugeQuery, {}, alice.headers);
    expect(tooLong.errors?.[0]?.message).toMatch(/token/i);
    const directives = `{ me { id ${'@include(if: true) '.repeat(30)} } }`;
    const tooManyDirectives = await gql(server, directives, {}, alice.headers);
    expect(tooManyDirectives.errors?.[0]?.message).toMatch(/directive/i);
  });
});
