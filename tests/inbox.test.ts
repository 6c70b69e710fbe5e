import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../server/store/db.ts';
import { signUp, type TestUser } from './helpers/auth.ts';
import { logOf } from './helpers/events.ts';
import { codes, gql } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { type StreamEventResult, subscribe, type TestSubscription } from './helpers/sse.ts';

// The inbox states of issue 12 through the API, on both engines: seen and unseen, unread again,
// archive, snooze, actions, expiry, grouping, the counts every event carries, and the rules that
// refuse bad input.

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => server?.dispose());

const fields = /* GraphQL */ `
  id kind title read seen seenAt archived archivedAt snoozedUntil expiresAt groupKey groupCount actedAt actionId
  actions { id label url primary }
`;

const counts = 'counts { unread unseen unreadByKind { kind unread } }';

const events = /* GraphQL */ `
  subscription ($after: String) {
    notificationEvents(after: $after) {
      __typename
      cursor
      unreadCount
      ${counts}
      ... on NotificationCreated { notification { ${fields} } }
      ... on NotificationRead { notification { ${fields} } }
      ... on NotificationUnread { notification { ${fields} } }
      ... on NotificationArchived { notification { ${fields} } }
      ... on NotificationUnarchived { notification { ${fields} } }
      ... on NotificationSnoozed { notification { ${fields} } }
      ... on NotificationWoke { notification { ${fields} } }
      ... on NotificationActed { notification { ${fields} } }
      ... on NotificationExpired { notificationId }
      ... on NotificationDeleted { notificationId }
      ... on AllNotificationsRead { count }
      ... on NotificationsSeen { seenAt count }
      ... on ReadNotificationsArchived { archivedAt count }
    }
  }
`;

type Counts = { unread: number; unseen: number; unreadByKind: { kind: string; unread: number }[] };
type Row = Record<string, unknown> & { id: string };

/** Runs an operation as `user`; fails the test on any error. */
// biome-ignore lint/suspicious/noExplicitAny: a response's shape is the query's; the assertions check it.
async function as<T = Record<string, any>>(user: TestUser, query: string, variables: Record<string, unknown> = {}) {
  const result = await gql<T>(server, query, variables, user.headers);
  if (result.errors || !result.data) throw new Error(`${query.trim().slice(0, 60)}: ${JSON.stringify(result.errors)}`);
  return result.data;
}

async function create(user: TestUser, input: Record<string, unknown>): Promise<Row> {
  const data = await as<{ createNotification: Row }>(
    user,
    `mutation ($input: CreateNotificationInput!) { createNotification(input: $input) { ${fields} } }`,
    { input },
  );
  return data.createNotification;
}

/** One mutation of one notification by id (and more arguments), answering the notification. */
async function change(
  user: TestUser,
  mutation: string,
  id: string,
  more = '',
  variables: Record<string, unknown> = {},
) {
  const declared = Object.keys(variables)
    .map((name) => `, $${name}: ${name === 'until' ? 'DateTime!' : 'String!'}`)
    .join('');
  const data = await as<Record<string, Row>>(
    user,
    `mutation ($id: ID!${declared}) { ${mutation}(id: $id${more}) { ${fields} } }`,
    { id, ...variables },
  );
  return data[mutation] as Row;
}

async function countsOf(user: TestUser): Promise<Counts> {
  return (
    await as<{ notificationCounts: Counts }>(
      user,
      `{ notificationCounts { unread unseen unreadByKind { kind unread } } }`,
    )
  ).notificationCounts;
}

async function list(user: TestUser, args = ''): Promise<Row[]> {
  const data = await as<{ notifications: { edges: { node: Row }[] } }>(
    user,
    `{ notifications(first: 40${args}) { edges { node { ${fields} } } } }`,
  );
  return data.notifications.edges.map((edge) => edge.node);
}

/** The counts recomputed from the rows, by the definitions of the issue (not by the server's code). */
async function recount(user: TestUser): Promise<Counts> {
  const rows = await server.app.db.prisma.notification.findMany({
    where: { recipientId: user.id, archivedAt: null, snoozedUntil: null, expiredAt: null },
  });
  const byKind = new Map<string, number>();
  for (const row of rows) if (!row.readAt) byKind.set(row.kind, (byKind.get(row.kind) ?? 0) + 1);
  return {
    unread: rows.filter((row) => !row.readAt).length,
    unseen: rows.filter((row) => !row.seenAt).length,
    unreadByKind: [...byKind].sort(([a], [b]) => (a < b ? -1 : 1)).map(([kind, unread]) => ({ kind, unread })),
  };
}

function stream(user: TestUser, after?: string): TestSubscription {
  return subscribe(server, user.headers, 'distinct', events, after === undefined ? {} : { after });
}

/** The next event of `type` (others are skipped). */
function next(events: TestSubscription, type: string): Promise<StreamEventResult> {
  return events.waitFor((event) => event.__typename === type, 10_000);
}

const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

describe('seen and unseen', () => {
  it('a new notification is unseen and unread; opening the bell (markNotificationsSeen) clears unseen and leaves unread', async () => {
    const alice = await signUp(server);
    const events = stream(alice);
    await next(events, 'NotificationStreamReady');
    const made = await create(alice, { title: 'hello', kind: 'mention' });
    expect(made).toMatchObject({ seen: false, archived: false, groupCount: 1, actions: [], read: false });
    await create(alice, { title: 'second' });
    expect(await countsOf(alice)).toEqual({
      unread: 2,
      unseen: 2,
      unreadByKind: [
        { kind: 'info', unread: 1 },
        { kind: 'mention', unread: 1 },
      ],
    });

    const seen = await as(alice, 'mutation { markNotificationsSeen { seenAt count } }');
    expect(seen.markNotificationsSeen.count).toBe(2);
    const event = await next(events, 'NotificationsSeen');
    expect(event).toMatchObject({ count: 2, seenAt: seen.markNotificationsSeen.seenAt, unreadCount: 2 });
    expect(event.counts).toMatchObject({ unread: 2, unseen: 0 });
    expect(await countsOf(alice)).toMatchObject({ unread: 2, unseen: 0 });

    // Nothing unseen: no event, count 0.
    expect((await as(alice, 'mutation { markNotificationsSeen { count } }')).markNotificationsSeen.count).toBe(0);
    events.dispose();
    expect((await logOf(server, alice)).map((row) => row.type)).toEqual([
      'NotificationCreated',
      'NotificationCreated',
      'NotificationsSeen',
    ]);
  });

  it('reading makes seen; unread again stays seen and counts unread again; both idempotent', async () => {
    const bob = await signUp(server);
    const made = await create(bob, { title: 'x' });
    const read = await change(bob, 'markNotificationRead', made.id);
    expect(read).toMatchObject({ read: true, seen: true });
    const events = stream(bob);
    await next(events, 'NotificationStreamReady');
    const unread = await change(bob, 'markNotificationUnread', made.id);
    expect(unread).toMatchObject({ read: false, seen: true });
    const event = await next(events, 'NotificationUnread');
    expect(event.counts).toEqual({ unread: 1, unseen: 0, unreadByKind: [{ kind: 'info', unread: 1 }] });
    expect(await change(bob, 'markNotificationUnread', made.id)).toMatchObject({ read: false });
    events.dispose();
    expect((await logOf(server, bob)).map((row) => row.type)).toEqual([
      'NotificationCreated',
      'NotificationRead',
      'NotificationUnread',
    ]);
  });
});

describe('archive', () => {
  it('archived notifications leave the list and the counts, and come back; archiveReadNotifications archives the read ones', async () => {
    const carol = await signUp(server);
    const a = await create(carol, { title: 'a' });
    const b = await create(carol, { title: 'b' });
    const c = await create(carol, { title: 'c' });
    const events = stream(carol);
    await next(events, 'NotificationStreamReady');

    expect(await change(carol, 'archiveNotification', a.id)).toMatchObject({ archived: true });
    expect((await next(events, 'NotificationArchived')).counts).toMatchObject({ unread: 2, unseen: 2 });
    expect((await list(carol)).map((n) => n.id)).toEqual([c.id, b.id]);
    expect((await list(carol, ', archived: true')).map((n) => n.id)).toEqual([a.id]);
    // Archiving again changes nothing.
    expect(await change(carol, 'archiveNotification', a.id)).toMatchObject({ archived: true });

    expect(await change(carol, 'unarchiveNotification', a.id)).toMatchObject({ archived: false, archivedAt: null });
    expect((await next(events, 'NotificationUnarchived')).counts).toMatchObject({ unread: 3 });

    await change(carol, 'markNotificationRead', b.id);
    await change(carol, 'markNotificationRead', c.id);
    const archived = await as(carol, 'mutation { archiveReadNotifications { archivedAt count } }');
    expect(archived.archiveReadNotifications.count).toBe(2);
    const event = await next(events, 'ReadNotificationsArchived');
    expect(event).toMatchObject({ count: 2, archivedAt: archived.archiveReadNotifications.archivedAt });
    expect((await list(carol)).map((n) => n.id)).toEqual([a.id]);
    expect((await list(carol, ', archived: true')).map((n) => n.id).sort()).toEqual([b.id, c.id].sort());
    expect((await as(carol, 'mutation { archiveReadNotifications { count } }')).archiveReadNotifications.count).toBe(0);
    expect(await countsOf(carol)).toEqual(await recount(carol));
    events.dispose();
  });

  it("another user's notification answers NOT_FOUND to every mutation of one notification", async () => {
    const owner = await signUp(server);
    const other = await signUp(server);
    const made = await create(owner, { title: 'mine', actions: [{ id: 'ok', label: 'OK' }] });
    for (const mutation of [
      'markNotificationUnread',
      'archiveNotification',
      'unarchiveNotification',
      'unsnoozeNotification',
    ]) {
      const answer = await gql(
        server,
        `mutation ($id: ID!) { ${mutation}(id: $id) { id } }`,
        { id: made.id },
        other.headers,
      );
      expect(codes(answer), mutation).toEqual(['NOT_FOUND']);
    }
    const snooze = await gql(
      server,
      'mutation ($id: ID!, $until: DateTime!) { snoozeNotification(id: $id, until: $until) { id } }',
      { id: made.id, until: inSeconds(3600) },
      other.headers,
    );
    expect(codes(snooze)).toEqual(['NOT_FOUND']);
    const act = await gql(
      server,
      'mutation ($id: ID!) { performNotificationAction(id: $id, actionId: "ok") { id } }',
      { id: made.id },
      other.headers,
    );
    expect(codes(act)).toEqual(['NOT_FOUND']);
    expect((await logOf(server, other)).length).toBe(0);
  });
});

describe('snooze', () => {
  it('refuses a snooze in the past or more than 90 days ahead, naming `until`', async () => {
    const dan = await signUp(server);
    const made = await create(dan, { title: 'x' });
    for (const until of [inSeconds(-5), inSeconds(91 * 24 * 3600)]) {
      const answer = await gql(
        server,
        'mutation ($id: ID!, $until: DateTime!) { snoozeNotification(id: $id, until: $until) { id } }',
        { id: made.id, until },
        dan.headers,
      );
      expect(codes(answer)).toEqual(['BAD_USER_INPUT']);
      expect(answer.errors?.[0]?.extensions?.field).toBe('until');
    }
  });

  it('a snoozed notification is hidden and uncounted; unsnooze brings it back as it was (NotificationWoke)', async () => {
    const erin = await signUp(server);
    const made = await create(erin, { title: 'later' });
    const events = stream(erin);
    await next(events, 'NotificationStreamReady');
    const until = inSeconds(3600);
    const snoozed = await change(erin, 'snoozeNotification', made.id, ', until: $until', { until });
    expect(snoozed.snoozedUntil).toBe(until);
    expect((await next(events, 'NotificationSnoozed')).counts).toEqual({ unread: 0, unseen: 0, unreadByKind: [] });
    expect(await list(erin)).toEqual([]);
    expect((await list(erin, ', snoozed: true')).map((n) => n.id)).toEqual([made.id]);

    const woke = await change(erin, 'unsnoozeNotification', made.id);
    expect(woke).toMatchObject({ snoozedUntil: null, read: false, seen: false });
    expect((await next(events, 'NotificationWoke')).counts).toMatchObject({ unread: 1, unseen: 1 });
    expect((await list(erin)).map((n) => n.id)).toEqual([made.id]);
    events.dispose();
  });

  it('a snooze that ends wakes the notification on its own, within about a second, with no one connected', async () => {
    const fay = await signUp(server);
    const made = await create(fay, { title: 'wake me' });
    await change(fay, 'snoozeNotification', made.id, ', until: $until', { until: inSeconds(1) });
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && !(await logOf(server, fay)).some((row) => row.type === 'NotificationWoke')) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const log = await logOf(server, fay);
    expect(log.map((row) => row.type)).toEqual(['NotificationCreated', 'NotificationSnoozed', 'NotificationWoke']);
    const wokeAt = (await server.app.db.prisma.userEvent.findFirst({ where: { userId: fay.id, seq: 3 } }))?.createdAt;
    const snoozedUntil = new Date(
      (log[1] as unknown as { notification: { snoozedUntil: string } }).notification.snoozedUntil,
    );
    expect((wokeAt as Date).getTime() - snoozedUntil.getTime()).toBeLessThan(1_000);
    expect((wokeAt as Date).getTime()).toBeGreaterThanOrEqual(snoozedUntil.getTime());
    expect(await countsOf(fay)).toMatchObject({ unread: 1 });
  });
});

describe('actions', () => {
  it('refuses bad actions, naming `actions`', async () => {
    const gus = await signUp(server);
    const cases: unknown[] = [
      [1, 2, 3, 4].map((i) => ({ id: `a${i}`, label: 'x' })),
      [
        { id: 'same', label: 'one' },
        { id: 'same', label: 'two' },
      ],
      [{ id: 'long', label: 'x'.repeat(41) }],
      [{ id: 'empty', label: '  ' }],
      [{ id: 'url', label: 'x', url: 'javascript:alert(1)' }],
      [{ id: 'has spaces', label: 'x' }],
    ];
    for (const actions of cases) {
      const answer = await gql(
        server,
        'mutation ($input: CreateNotificationInput!) { createNotification(input: $input) { id } }',
        { input: { title: 't', actions } },
        gus.headers,
      );
      expect(codes(answer), JSON.stringify(actions)).toEqual(['BAD_USER_INPUT']);
      expect(answer.errors?.[0]?.extensions?.field).toBe('actions');
    }
    expect((await logOf(server, gus)).length).toBe(0);
  });

  it('performing an action records it and marks the notification read; the first action stands; an unknown id names `actionId`', async () => {
    const hal = await signUp(server);
    const made = await create(hal, {
      title: 'Deploy to production?',
      actions: [
        { id: 'approve', label: 'Approve', primary: true },
        { id: 'reject', label: 'Reject', url: 'https://example.com/reject' },
      ],
    });
    expect(made.actions).toEqual([
      { id: 'approve', label: 'Approve', url: null, primary: true },
      { id: 'reject', label: 'Reject', url: 'https://example.com/reject', primary: false },
    ]);
    const events = stream(hal);
    await next(events, 'NotificationStreamReady');

    const unknown = await gql(
      server,
      'mutation ($id: ID!) { performNotificationAction(id: $id, actionId: "maybe") { id } }',
      { id: made.id },
      hal.headers,
    );
    expect(codes(unknown)).toEqual(['BAD_USER_INPUT']);
    expect(unknown.errors?.[0]?.extensions?.field).toBe('actionId');

    const acted = await change(hal, 'performNotificationAction', made.id, ', actionId: $actionId', {
      actionId: 'approve',
    });
    expect(acted).toMatchObject({ actionId: 'approve', read: true, seen: true });
    expect(acted.actedAt).toEqual(expect.any(String));
    const event = await next(events, 'NotificationActed');
    expect(event.counts).toMatchObject({ unread: 0, unseen: 0 });
    const again = await change(hal, 'performNotificationAction', made.id, ', actionId: $actionId', {
      actionId: 'reject',
    });
    expect(again).toMatchObject({ actionId: 'approve', actedAt: acted.actedAt });
    events.dispose();
    expect((await logOf(server, hal)).map((row) => row.type)).toEqual(['NotificationCreated', 'NotificationActed']);
  });
});

describe('expiry', () => {
  it('refuses an expiry in the past or more than a year ahead, naming `expiresAt`', async () => {
    const ida = await signUp(server);
    for (const expiresAt of [inSeconds(-1), inSeconds(367 * 24 * 3600)]) {
      const answer = await gql(
        server,
        'mutation ($input: CreateNotificationInput!) { createNotification(input: $input) { id } }',
        { input: { title: 't', expiresAt } },
        ida.headers,
      );
      expect(codes(answer)).toEqual(['BAD_USER_INPUT']);
      expect(answer.errors?.[0]?.extensions?.field).toBe('expiresAt');
    }
  });

  it('an expired notification disappears from the list and the counts (NotificationExpired), and answers NOT_FOUND', async () => {
    const jo = await signUp(server);
    const events = stream(jo);
    await next(events, 'NotificationStreamReady');
    const made = await create(jo, { title: 'flash sale', expiresAt: inSeconds(1) });
    expect(made.expiresAt).toEqual(expect.any(String));
    const expired = await next(events, 'NotificationExpired');
    expect(expired).toMatchObject({ notificationId: made.id, unreadCount: 0 });
    expect(expired.counts).toEqual({ unread: 0, unseen: 0, unreadByKind: [] });
    expect(await list(jo)).toEqual([]);
    expect(await countsOf(jo)).toEqual({ unread: 0, unseen: 0, unreadByKind: [] });
    const answer = await gql(
      server,
      'mutation ($id: ID!) { markNotificationRead(id: $id) { id } }',
      { id: made.id },
      jo.headers,
    );
    expect(codes(answer)).toEqual(['NOT_FOUND']);
    events.dispose();
  });
});

describe('grouping', () => {
  it('creates with the unread group key fold into one notification (same id, groupCount, no new unread); after reading, a new group starts', async () => {
    const kim = await signUp(server);
    const events = stream(kim);
    await next(events, 'NotificationStreamReady');
    const first = await create(kim, { title: '1 new comment', groupKey: 'post:42:comments', kind: 'comment' });
    await as(kim, 'mutation { markNotificationsSeen { count } }');
    const second = await create(kim, { title: '2 new comments', groupKey: 'post:42:comments', kind: 'comment' });
    const third = await create(kim, { title: '3 new comments', groupKey: 'post:42:comments', kind: 'comment' });
    expect(second.id).toBe(first.id);
    expect(third).toMatchObject({ id: first.id, groupCount: 3, title: '3 new comments', seen: false });
    const created = [];
    for (let i = 0; i < 3; i++) created.push(await next(events, 'NotificationCreated'));
    expect(created.map((event) => [event.unreadCount, (event.counts as Counts).unseen])).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
    expect((await list(kim)).map((n) => [n.id, n.groupCount])).toEqual([[first.id, 3]]);

    await change(kim, 'markNotificationRead', first.id);
    const fresh = await create(kim, { title: '1 new comment', groupKey: 'post:42:comments', kind: 'comment' });
    expect(fresh.id).not.toBe(first.id);
    expect(fresh.groupCount).toBe(1);
    expect(await countsOf(kim)).toEqual({ unread: 1, unseen: 1, unreadByKind: [{ kind: 'comment', unread: 1 }] });
    events.dispose();
  });

  it('refuses a group key over 128 characters, naming `groupKey`', async () => {
    const lee = await signUp(server);
    const answer = await gql(
      server,
      'mutation ($input: CreateNotificationInput!) { createNotification(input: $input) { id } }',
      { input: { title: 't', groupKey: 'k'.repeat(129) } },
      lee.headers,
    );
    expect(codes(answer)).toEqual(['BAD_USER_INPUT']);
    expect(answer.errors?.[0]?.extensions?.field).toBe('groupKey');
  });

  it('grouping racing with mark read: every create lands exactly once, in a group or a new one, and the counts stay exact', async () => {
    const max = await signUp(server);
    const first = await create(max, { title: 'c', groupKey: 'g' });
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      work.push(create(max, { title: `c${i}`, groupKey: 'g' }));
      if (i % 5 === 0) work.push(as(max, 'mutation { markAllNotificationsRead { count } }'));
      if (i % 7 === 0) work.push(change(max, 'markNotificationRead', first.id));
    }
    await Promise.all(work);
    const rows = await server.app.db.prisma.notification.findMany({ where: { recipientId: max.id } });
    expect(rows.reduce((sum, row) => sum + row.groupCount, 0)).toBe(21);
    expect(rows.filter((row) => !row.readAt).length).toBeLessThanOrEqual(1);
    expect(await countsOf(max)).toEqual(await recount(max));
    const log = await logOf(server, max);
    const last = log.at(-1) as unknown as { counts: Counts };
    expect(last.counts).toEqual(await recount(max));
  });
});

describe('kinds and counts', () => {
  it('lists by kind, counts unread by kind, and refuses a bad kind filter naming `kinds`', async () => {
    const ned = await signUp(server);
    await create(ned, { title: 'a', kind: 'mention' });
    await create(ned, { title: 'b', kind: 'mention' });
    const build = await create(ned, { title: 'c', kind: 'ci.build' });
    await create(ned, { title: 'd', kind: 'security' });
    await change(ned, 'markNotificationRead', build.id);
    expect((await list(ned, ', kinds: ["mention"]')).map((n) => n.title)).toEqual(['b', 'a']);
    expect((await list(ned, ', kinds: ["ci.build", "security"]')).map((n) => n.title)).toEqual(['d', 'c']);
    expect((await countsOf(ned)).unreadByKind).toEqual([
      { kind: 'mention', unread: 2 },
      { kind: 'security', unread: 1 },
    ]);
    const bad = await gql(server, '{ notifications(kinds: ["has space"]) { edges { node { id } } } }', {}, ned.headers);
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    expect(bad.errors?.[0]?.extensions?.field).toBe('kinds');
  });

  it('counts stay exact under 50 concurrent mixed operations, and every event carries the counts after it, replayed as they were', async () => {
    const ola = await signUp(server);
    const live = stream(ola);
    await next(live, 'NotificationStreamReady');
    const made: Row[] = [];
    for (let i = 0; i < 10; i++) made.push(await create(ola, { title: `n${i}`, kind: i % 2 ? 'odd' : 'even' }));
    const operations: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      const target = (made[i % made.length] as Row).id;
      const pick = i % 10;
      const run = async () => {
        if (pick === 0) return create(ola, { title: `m${i}`, kind: 'odd', groupKey: i % 20 === 0 ? 'grp' : undefined });
        if (pick === 1) return change(ola, 'markNotificationRead', target);
        if (pick === 2) return change(ola, 'markNotificationUnread', target);
        if (pick === 3) return change(ola, 'archiveNotification', target);
        if (pick === 4) return change(ola, 'unarchiveNotification', target);
        if (pick === 5) return change(ola, 'snoozeNotification', target, ', until: $until', { until: inSeconds(3600) });
        if (pick === 6) return change(ola, 'unsnoozeNotification', target);
        if (pick === 7) return as(ola, 'mutation { markNotificationsSeen { count } }');
        if (pick === 8) return as(ola, 'mutation { archiveReadNotifications { count } }');
        return as(ola, 'mutation { markAllNotificationsRead { count } }');
      };
      operations.push(run().catch(() => undefined));
    }
    await Promise.all(operations);
    const truth = await recount(ola);
    expect(await countsOf(ola)).toEqual(truth);
    expect(
      (await as<{ unreadNotificationCount: number }>(ola, '{ unreadNotificationCount }')).unreadNotificationCount,
    ).toBe(truth.unread);

    const log = await logOf(server, ola);
    const lastLogged = log.at(-1) as unknown as { counts: Counts; unreadCount: number };
    expect(lastLogged.counts).toEqual(truth);
    expect(lastLogged.unreadCount).toBe(truth.unread);

    // Live, every event arrived in order with the counts the log holds; a replay from the start carries the same.
    const liveEvents: StreamEventResult[] = [];
    while (liveEvents.length < log.length) {
      liveEvents.push(await live.waitFor((event) => !event.__typename.startsWith('NotificationStream'), 10_000));
    }
    live.dispose();
    const replay = stream(ola, '');
    const replayed: StreamEventResult[] = [];
    while (replayed.length < log.length) replayed.push(await replay.next(10_000));
    replay.dispose();
    const shape = (event: StreamEventResult) => [event.cursor, event.unreadCount, event.counts];
    expect(liveEvents.map(shape)).toEqual(replayed.map(shape));
    expect(replayed.map((event) => event.counts)).toEqual(
      log.map((row) => (row as unknown as { counts: Counts }).counts),
    );
  });

  it('a user the log stored no inbox state for (as after the upgrade) is counted from the rows, then carried on', async () => {
    const quin = await signUp(server);
    await create(quin, { title: 'a', kind: 'mention' });
    await create(quin, { title: 'b' });
    await as(quin, 'mutation { markNotificationsSeen { count } }');
    await server.app.db.prisma.user.update({ where: { id: quin.id }, data: { inbox: Prisma.DbNull } });
    const expected = {
      unread: 2,
      unseen: 0,
      unreadByKind: [
        { kind: 'info', unread: 1 },
        { kind: 'mention', unread: 1 },
      ],
    };
    expect(await countsOf(quin)).toEqual(expected);
    const events = stream(quin);
    expect((await next(events, 'NotificationStreamReady')).counts).toEqual(expected);
    await create(quin, { title: 'c', kind: 'mention' });
    expect((await next(events, 'NotificationCreated')).counts).toEqual({
      unread: 3,
      unseen: 1,
      unreadByKind: [
        { kind: 'info', unread: 1 },
        { kind: 'mention', unread: 2 },
      ],
    });
    expect(await countsOf(quin)).toEqual(await recount(quin));
    events.dispose();
  });

  it('the stream starts with the counts as of its cursor (Ready carries them)', async () => {
    const pat = await signUp(server);
    await create(pat, { title: 'a', kind: 'mention' });
    await as(pat, 'mutation { markNotificationsSeen { count } }');
    await create(pat, { title: 'b' });
    const events = stream(pat);
    const ready = await next(events, 'NotificationStreamReady');
    expect(ready.counts).toEqual({
      unread: 2,
      unseen: 1,
      unreadByKind: [
        { kind: 'info', unread: 1 },
        { kind: 'mention', unread: 1 },
      ],
    });
    events.dispose();
  });
});
