import { getOperationName } from '@urql/core';
import { describe, expect, it } from 'vitest';
import type {
  NotificationCountsQuery as NotificationCountsQueryResult,
  NotificationFieldsFragment,
  NotificationsQuery,
} from '../../web/src/gql/graphql.ts';
import {
  ArchiveNotificationMutation,
  ArchiveReadNotificationsMutation,
  DeleteNotificationMutation,
  MarkAllNotificationsReadMutation,
  MarkNotificationReadMutation,
  MarkNotificationsSeenMutation,
  MarkNotificationUnreadMutation,
  MyTopicsQuery,
  NotificationCountsQuery,
  NotificationPreferencesQuery,
  NotificationsQuery as NotificationsDocument,
  PerformNotificationActionMutation,
  SetNotificationPreferenceMutation,
  SnoozeNotificationMutation,
  SubscribeToTopicMutation,
  UnarchiveNotificationMutation,
  UnreadNotificationCountQuery,
  UnsnoozeNotificationMutation,
  UnsubscribeFromTopicMutation,
} from '../../web/src/notifications/documents.ts';
import type { StreamEvent } from '../../web/src/urql/cache.ts';
import { cacheFixture, counts, notification, page, refusal, settle, watch } from './fixtures.ts';

type Page = { data?: NotificationsQuery };
type Count = { data?: { unreadNotificationCount: number } };
type Totals = { data?: NotificationCountsQueryResult };

/** A client whose server holds `all` (newest first) and answers mutations with `mutation`. */
async function setup(all: NotificationFieldsFragment[], mutation?: (name: string) => unknown) {
  const fixture = cacheFixture((operation) => {
    const name = getOperationName(operation.query);
    const variables = operation.variables as {
      unreadOnly?: boolean;
      first?: number;
      after?: string;
      kinds?: string[];
      archived?: boolean;
      snoozed?: boolean;
    };
    if (name === 'Notifications') {
      const listed = all.filter(
        (node) =>
          (!variables.unreadOnly || !node.read) &&
          (!variables.kinds || variables.kinds.includes(node.kind)) &&
          node.archived === (variables.archived === true) &&
          (node.snoozedUntil !== null) === (variables.snoozed === true),
      );
      const start = variables.after ? listed.findIndex((node) => btoa(`GPC:S:${node.id}`) === variables.after) + 1 : 0;
      const first = variables.first ?? 20;
      return { data: page(listed.slice(start, start + first), start + first < listed.length) };
    }
    const shown = all.filter((node) => !node.archived && !node.snoozedUntil);
    if (name === 'UnreadNotificationCount') {
      return { data: { unreadNotificationCount: shown.filter((node) => !node.read).length } };
    }
    if (name === 'NotificationCounts') {
      const byKind: Record<string, number> = {};
      for (const node of shown) if (!node.read) byKind[node.kind] = (byKind[node.kind] ?? 0) + 1;
      const unseen = shown.filter((node) => !node.seen).length;
      return { data: { notificationCounts: counts(shown.filter((node) => !node.read).length, unseen, byKind) } };
    }
    const answer = mutation?.(name ?? '');
    if (answer instanceof Promise) return answer as never;
    return (answer ?? { error: `unexpected ${name}` }) as never;
  });
  const everything = watch<Page['data']>(fixture.client, NotificationsDocument, { first: 20, unreadOnly: false });
  const unread = watch<Page['data']>(fixture.client, NotificationsDocument, { first: 20, unreadOnly: true });
  const count = watch<Count['data']>(fixture.client, UnreadNotificationCountQuery, {});
  const archived = watch<Page['data']>(fixture.client, NotificationsDocument, { first: 20, archived: true });
  const snoozed = watch<Page['data']>(fixture.client, NotificationsDocument, { first: 20, snoozed: true });
  const comments = watch<Page['data']>(fixture.client, NotificationsDocument, { first: 20, kinds: ['comment'] });
  const totals = watch<Totals['data']>(fixture.client, NotificationCountsQuery, {});
  await settle();
  const ids = (read: () => Page) => read().data?.notifications.edges.map((edge) => edge.node.id);
  return {
    ...fixture,
    all: () => ids(everything as () => Page),
    unread: () => ids(unread as () => Page),
    count: () => (count as () => Count)().data?.unreadNotificationCount,
    archived: () => ids(archived as () => Page),
    snoozed: () => ids(snoozed as () => Page),
    comments: () => ids(comments as () => Page),
    /** The counts as the badge and tabs read them. */
    totals: () => {
      const data = (totals as () => Totals)().data?.notificationCounts;
      return (
        data && {
          unread: data.unread,
          unseen: data.unseen,
          byKind: Object.fromEntries(data.unreadByKind.map(({ kind, unread }) => [kind, unread])),
        }
      );
    },
    node: (id: string) =>
      (everything as () => Page)().data?.notifications.edges.find((edge) => edge.node.id === id)?.node,
  };
}

const created = (node: NotificationFieldsFragment, unreadCount: number, cursor = '1'): StreamEvent => ({
  __typename: 'NotificationCreated',
  cursor,
  unreadCount,
  counts: counts(unreadCount),
  notification: node,
});

describe('graphcache updaters on a real store', () => {
  it('NotificationCreated puts the notification first in every list it belongs in, once', async () => {
    const older = notification(10);
    const client = await setup([older]);
    expect(client.all()).toEqual([older.id]);

    const fresh = notification(0);
    await client.push(created(fresh, 2, '2'));
    expect(client.all()).toEqual([fresh.id, older.id]);
    expect(client.unread()).toEqual([fresh.id, older.id]);
    expect(client.count()).toBe(2);

    await client.push(created(fresh, 2, '2'));
    expect(client.all()).toEqual([fresh.id, older.id]);
    expect(client.count()).toBe(2);
  });

  it('keeps a read notification out of unread-only lists, and places a late arrival by its time', async () => {
    const newest = notification(0);
    const client = await setup([newest]);
    const alreadyRead = notification(30, { read: true, readAt: new Date().toISOString() });
    await client.push(created(alreadyRead, 1, '2'));
    expect(client.all()).toEqual([newest.id, alreadyRead.id]);
    expect(client.unread()).toEqual([newest.id]);
  });

  it('NotificationRead updates the entity, leaves unread-only lists, and sets the count; twice is once', async () => {
    const a = notification(2);
    const b = notification(3);
    const client = await setup([a, b]);
    const readAt = new Date().toISOString();
    const event: StreamEvent = {
      __typename: 'NotificationRead',
      cursor: '3',
      unreadCount: 1,
      counts: counts(1),
      notification: { ...a, read: true, readAt, seen: true, seenAt: readAt },
    } as StreamEvent;
    await client.push(event);
    await client.push(event);
    expect(client.node(a.id)?.read).toBe(true);
    expect(client.all()).toEqual([a.id, b.id]);
    expect(client.unread()).toEqual([b.id]);
    expect(client.count()).toBe(1);
  });

  it('NotificationDeleted removes it from every list; twice is once', async () => {
    const a = notification(2);
    const b = notification(3);
    const client = await setup([a, b]);
    const event: StreamEvent = {
      __typename: 'NotificationDeleted',
      cursor: '4',
      unreadCount: 1,
      counts: counts(1),
      notificationId: a.id,
    };
    await client.push(event);
    await client.push(event);
    expect(client.all()).toEqual([b.id]);
    expect(client.unread()).toEqual([b.id]);
    expect(client.count()).toBe(1);
  });

  it('AllNotificationsRead marks every cached notification read, but not one created after it', async () => {
    const a = notification(5);
    const b = notification(6);
    const client = await setup([a, b]);
    const later = { ...notification(0), createdAt: new Date(Date.now() + 60_000).toISOString() };
    await client.push(created(later, 3, '5'));
    const readAt = new Date().toISOString();
    await client.push({
      __typename: 'AllNotificationsRead',
      cursor: '6',
      unreadCount: 1,
      counts: counts(1),
      readAt,
      count: 2,
    });
    expect(client.node(a.id)?.read).toBe(true);
    expect(client.node(b.id)?.readAt).toBe(readAt);
    expect(client.node(later.id)?.read).toBe(false);
    expect(client.unread()).toEqual([later.id]);
    expect(client.count()).toBe(1);
  });

  it('every event, heartbeats included, sets the unread count to the one it carries', async () => {
    const client = await setup([notification(1)]);
    await client.push({
      __typename: 'NotificationStreamHeartbeat',
      cursor: '9',
      unreadCount: 7,
      counts: counts(7),
    } as StreamEvent);
    expect(client.count()).toBe(7);
  });

  it('NotificationStreamResync refetches the lists', async () => {
    const client = await setup([notification(1)]);
    const before = client.callsNamed('Notifications').length;
    await client.push({
      __typename: 'NotificationStreamResync',
      cursor: '9',
      unreadCount: 1,
      counts: counts(1),
      resyncReason: 'CURSOR_EXPIRED',
    });
    await settle();
    expect(client.callsNamed('Notifications').length).toBeGreaterThan(before);
  });

  it('adds a new notification to the first page of a list that has several pages', async () => {
    const nodes = [notification(1), notification(2), notification(3)];
    const client = await setup(nodes);
    const paged = watch<Page['data']>(client.client, NotificationsDocument, { first: 2, unreadOnly: false });
    await settle();
    const more = watch<Page['data']>(client.client, NotificationsDocument, {
      first: 2,
      after: btoa(`GPC:S:${nodes[1]?.id}`),
      unreadOnly: false,
    });
    await settle();
    const fresh = notification(0);
    await client.push(created(fresh, 4, '7'));
    const merged = (more as () => Page)().data?.notifications.edges.map((edge) => edge.node.id);
    expect(merged).toEqual([fresh.id, ...nodes.map((node) => node.id)]);
    expect((paged as () => Page)().data?.notifications.edges[0]?.node.id).toBe(fresh.id);
  });
});

function deferred() {
  let resolve: (value: unknown) => void = () => {};
  const promise = new Promise((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/**
 * Runs a mutation against a server holding `nodes`, and delivers its answer and its stream event
 * in the given order: the two race in real life.
 */
async function answerAndEvent(
  eventFirst: boolean,
  nodes: NotificationFieldsFragment[],
  run: (client: Awaited<ReturnType<typeof setup>>) => Promise<unknown>,
  answer: unknown,
  event: StreamEvent,
) {
  const pending = deferred();
  const client = await setup(nodes, () => pending.promise);
  const done = run(client);
  await settle();
  if (eventFirst) await client.push(event);
  pending.resolve(answer);
  await done;
  await settle();
  if (!eventFirst) await client.push(event);
  return client;
}

describe('optimistic mutations', () => {
  it('mark read shows at once and rolls back when the server refuses', async () => {
    const a = notification(1);
    const answer = deferred();
    const client = await setup([a], () => answer.promise);
    const done = client.client.mutation(MarkNotificationReadMutation, { id: a.id }).toPromise();
    await settle();
    expect(client.node(a.id)?.read).toBe(true);
    expect(client.unread()).toEqual([]);
    expect(client.count()).toBe(0);

    answer.resolve(refusal('No notification with id'));
    expect((await done).error).toBeDefined();
    await settle();
    expect(client.node(a.id)?.read).toBe(false);
    expect(client.unread()).toEqual([a.id]);
    expect(client.count()).toBe(1);
  });

  it('mark read counts once whether the answer or the event comes first', async () => {
    for (const eventFirst of [false, true]) {
      const [a, b] = [notification(1), notification(2)];
      const readAt = new Date().toISOString();
      const read = { ...a, read: true, readAt, seen: true, seenAt: readAt };
      const client = await answerAndEvent(
        eventFirst,
        [a, b],
        (c) => c.client.mutation(MarkNotificationReadMutation, { id: a.id }).toPromise(),
        { data: { markNotificationRead: read } },
        {
          __typename: 'NotificationRead',
          cursor: '2',
          unreadCount: 1,
          counts: counts(1),
          notification: read,
        } as StreamEvent,
      );
      expect({ eventFirst, count: client.count(), unread: client.unread() }).toEqual({
        eventFirst,
        count: 1,
        unread: [b.id],
      });
    }
  });

  it('delete removes at once and comes back when the server refuses', async () => {
    const a = notification(1);
    const b = notification(2);
    const answer = deferred();
    const client = await setup([a, b], () => answer.promise);
    const done = client.client.mutation(DeleteNotificationMutation, { id: a.id }).toPromise();
    await settle();
    expect(client.all()).toEqual([b.id]);
    expect(client.count()).toBe(1);
    answer.resolve(refusal('Too many requests'));
    await done;
    await settle();
    expect(client.all()).toEqual([a.id, b.id]);
    expect(client.count()).toBe(2);
  });

  it('delete confirmed by the server stays deleted and counts once', async () => {
    const a = notification(1);
    const b = notification(2);
    const client = await setup([a, b], () => ({ data: { deleteNotification: a.id } }));
    await client.client.mutation(DeleteNotificationMutation, { id: a.id }).toPromise();
    await settle();
    await client.push({
      __typename: 'NotificationDeleted',
      cursor: '3',
      unreadCount: 1,
      counts: counts(1),
      notificationId: a.id,
    });
    expect(client.all()).toEqual([b.id]);
    expect(client.count()).toBe(1);
  });

  it('mark all read ends right whether the answer or the event comes first', async () => {
    for (const eventFirst of [false, true]) {
      const [a, b] = [notification(1), notification(2)];
      const readAt = new Date().toISOString();
      const client = await answerAndEvent(
        eventFirst,
        [a, b],
        (c) => c.client.mutation(MarkAllNotificationsReadMutation, {}).toPromise(),
        { data: { markAllNotificationsRead: { __typename: 'MarkAllNotificationsReadPayload', count: 2, readAt } } },
        { __typename: 'AllNotificationsRead', cursor: '3', unreadCount: 0, counts: counts(0), readAt, count: 2 },
      );
      expect({ eventFirst, count: client.count(), unread: client.unread(), read: client.node(b.id)?.read }).toEqual({
        eventFirst,
        count: 0,
        unread: [],
        read: true,
      });
    }
  });

  it('mark all read shows at once and rolls back when the server refuses', async () => {
    const a = notification(1);
    const b = notification(2);
    const answer = deferred();
    const client = await setup([a, b], () => answer.promise);
    const done = client.client.mutation(MarkAllNotificationsReadMutation, {}).toPromise();
    await settle();
    expect(client.count()).toBe(0);
    expect(client.node(a.id)?.read).toBe(true);
    expect(client.unread()).toEqual([]);
    answer.resolve(refusal('Slow down'));
    await done;
    await settle();
    expect(client.count()).toBe(2);
    expect(client.node(a.id)?.read).toBe(false);
    expect(client.unread()).toEqual([a.id, b.id]);
  });
});

/** An event about one notification, with the counts the server would send after it. */
const about = (
  typename:
    | 'NotificationUnread'
    | 'NotificationArchived'
    | 'NotificationUnarchived'
    | 'NotificationSnoozed'
    | 'NotificationWoke'
    | 'NotificationActed'
    | 'NotificationRead'
    | 'NotificationCreated',
  node: NotificationFieldsFragment,
  totals: ReturnType<typeof counts>,
  cursor = '20',
): StreamEvent =>
  ({ __typename: typename, cursor, unreadCount: totals.unread, counts: totals, notification: node }) as StreamEvent;

describe('the inbox events on a real store', () => {
  it('every event writes its counts where the badge and the tabs read them', async () => {
    const client = await setup([notification(1, { kind: 'comment' })]);
    expect(client.totals()).toEqual({ unread: 1, unseen: 1, byKind: { comment: 1 } });
    await client.push({
      __typename: 'NotificationStreamHeartbeat',
      cursor: '9',
      unreadCount: 4,
      counts: counts(4, 2, { comment: 3, deploy: 1 }),
    } as StreamEvent);
    expect(client.totals()).toEqual({ unread: 4, unseen: 2, byKind: { comment: 3, deploy: 1 } });
    expect(client.count()).toBe(4);
  });

  it('NotificationArchived moves it to the archive, NotificationUnarchived back in its place; twice is once', async () => {
    const [a, b, c] = [notification(1), notification(2), notification(3)];
    const client = await setup([a, b, c]);
    const archivedAt = new Date().toISOString();
    const archived = about('NotificationArchived', { ...b, archived: true, archivedAt }, counts(2));
    await client.push(archived);
    await client.push(archived);
    expect(client.all()).toEqual([a.id, c.id]);
    expect(client.unread()).toEqual([a.id, c.id]);
    expect(client.archived()).toEqual([b.id]);
    expect(client.count()).toBe(2);

    const back = about('NotificationUnarchived', b, counts(3), '21');
    await client.push(back);
    await client.push(back);
    expect(client.all()).toEqual([a.id, b.id, c.id]);
    expect(client.unread()).toEqual([a.id, b.id, c.id]);
    expect(client.archived()).toEqual([]);
  });

  it('NotificationSnoozed hides it in the snoozed list; NotificationWoke brings it back, unread as it was', async () => {
    const [a, b] = [notification(1), notification(2)];
    const client = await setup([a, b]);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    await client.push(about('NotificationSnoozed', { ...a, snoozedUntil: until }, counts(1)));
    expect(client.all()).toEqual([b.id]);
    expect(client.snoozed()).toEqual([a.id]);
    await client.push(about('NotificationWoke', a, counts(2), '21'));
    expect(client.all()).toEqual([a.id, b.id]);
    expect(client.unread()).toEqual([a.id, b.id]);
    expect(client.snoozed()).toEqual([]);
    expect(client.count()).toBe(2);
  });

  it('NotificationUnread puts it back into the unread lists in its place', async () => {
    const readAt = new Date().toISOString();
    const [a, b, c] = [
      notification(1),
      notification(2, { read: true, readAt, seen: true, seenAt: readAt }),
      notification(3),
    ];
    const client = await setup([a, b, c]);
    expect(client.unread()).toEqual([a.id, c.id]);
    await client.push(about('NotificationUnread', { ...b, read: false, readAt: null }, counts(3, 2)));
    expect(client.unread()).toEqual([a.id, b.id, c.id]);
    expect(client.node(b.id)?.read).toBe(false);
    expect(client.totals()).toMatchObject({ unread: 3, unseen: 2 });
  });

  it('a notification enters only the kind lists of its kind', async () => {
    const comment = notification(5, { kind: 'comment' });
    const client = await setup([comment]);
    expect(client.comments()).toEqual([comment.id]);
    const deploy = notification(1, { kind: 'deploy' });
    await client.push(about('NotificationCreated', deploy, counts(2, 2, { comment: 1, deploy: 1 })));
    const reply = notification(0, { kind: 'comment' });
    await client.push(about('NotificationCreated', reply, counts(3, 3, { comment: 2, deploy: 1 }), '21'));
    expect(client.all()).toEqual([reply.id, deploy.id, comment.id]);
    expect(client.comments()).toEqual([reply.id, comment.id]);
    expect(client.totals()?.byKind).toEqual({ comment: 2, deploy: 1 });
  });

  it('a grouped create moves the notification to the top with its count, once', async () => {
    const group = notification(10, { kind: 'comment', groupKey: 'post:1' });
    const other = notification(5);
    const client = await setup([other, group]);
    expect(client.all()).toEqual([other.id, group.id]);
    const grown = {
      ...group,
      title: 'Max commented',
      groupCount: 2,
      createdAt: new Date(Date.UTC(2026, 10, 28, 12, 1)).toISOString(),
    };
    const event = about('NotificationCreated', grown, counts(2));
    await client.push(event);
    await client.push(event);
    expect(client.all()).toEqual([group.id, other.id]);
    expect(client.unread()).toEqual([group.id, other.id]);
    expect(client.comments()).toEqual([group.id]);
    expect(client.node(group.id)).toMatchObject({ title: 'Max commented', groupCount: 2 });
  });

  it('NotificationExpired takes it out of every list', async () => {
    const [a, b] = [notification(1), notification(2)];
    const client = await setup([a, b]);
    await client.push({
      __typename: 'NotificationExpired',
      cursor: '30',
      unreadCount: 1,
      counts: counts(1),
      notificationId: a.id,
    });
    expect(client.all()).toEqual([b.id]);
    expect(client.unread()).toEqual([b.id]);
    expect(client.count()).toBe(1);
  });

  it('NotificationsSeen marks the shown ones seen; they stay unread', async () => {
    const [a, b] = [notification(1), notification(2)];
    const client = await setup([a, b]);
    const seenAt = new Date().toISOString();
    await client.push({
      __typename: 'NotificationsSeen',
      cursor: '31',
      unreadCount: 2,
      counts: counts(2, 0),
      seenAt,
      count: 2,
    });
    expect(client.node(a.id)).toMatchObject({ seen: true, seenAt, read: false });
    expect(client.unread()).toEqual([a.id, b.id]);
    expect(client.totals()).toMatchObject({ unread: 2, unseen: 0 });
  });

  it('ReadNotificationsArchived moves every read one to the archive', async () => {
    const readAt = new Date(Date.now() - 60_000).toISOString();
    const [a, b, c] = [
      notification(1),
      notification(2, { read: true, readAt, seen: true, seenAt: readAt }),
      notification(3),
    ];
    const client = await setup([a, b, c]);
    const archivedAt = new Date().toISOString();
    await client.push({
      __typename: 'ReadNotificationsArchived',
      cursor: '32',
      unreadCount: 2,
      counts: counts(2),
      archivedAt,
      count: 1,
    });
    expect(client.all()).toEqual([a.id, c.id]);
    expect(client.archived()).toEqual([b.id]);
    expect(client.unread()).toEqual([a.id, c.id]);
  });

  it('NotificationActed records the action and reads it', async () => {
    const actions = [
      { __typename: 'NotificationAction', id: 'approve', label: 'Approve', url: null, primary: true },
      { __typename: 'NotificationAction', id: 'decline', label: 'Decline', url: null, primary: false },
    ] as unknown as NotificationFieldsFragment['actions'];
    const a = notification(1, { actions });
    const client = await setup([a]);
    const at = new Date().toISOString();
    await client.push(
      about(
        'NotificationActed',
        { ...a, actedAt: at, actionId: 'approve', read: true, readAt: at, seen: true, seenAt: at },
        counts(0),
      ),
    );
    expect(client.node(a.id)).toMatchObject({ actionId: 'approve', read: true });
    expect(client.node(a.id)?.actions.map((action) => action.label)).toEqual(['Approve', 'Decline']);
    expect(client.unread()).toEqual([]);
  });
});

describe('the inbox mutations: optimistic, rolled back when refused, counted once', () => {
  /** Runs a mutation the server refuses after the test looked at the optimistic state. */
  async function refused(
    nodes: NotificationFieldsFragment[],
    run: (client: Awaited<ReturnType<typeof setup>>) => Promise<unknown>,
    during: (client: Awaited<ReturnType<typeof setup>>) => void,
  ) {
    const answer = deferred();
    const client = await setup(nodes, () => answer.promise);
    const before = {
      all: client.all(),
      unread: client.unread(),
      archived: client.archived(),
      snoozed: client.snoozed(),
      totals: client.totals(),
    };
    const done = run(client);
    await settle();
    during(client);
    answer.resolve(refusal('No notification with id'));
    await done;
    await settle();
    expect({
      all: client.all(),
      unread: client.unread(),
      archived: client.archived(),
      snoozed: client.snoozed(),
      totals: client.totals(),
    }).toEqual(before);
  }

  it('archive', async () => {
    const [a, b] = [notification(1, { kind: 'comment' }), notification(2)];
    await refused(
      [a, b],
      (c) => c.client.mutation(ArchiveNotificationMutation, { id: a.id }).toPromise(),
      (c) => {
        expect(c.all()).toEqual([b.id]);
        expect(c.archived()).toEqual([a.id]);
        expect(c.totals()).toEqual({ unread: 1, unseen: 1, byKind: { info: 1 } });
        expect(c.count()).toBe(1);
      },
    );
  });

  it('unarchive', async () => {
    const a = notification(1, { archived: true, archivedAt: new Date().toISOString() });
    await refused(
      [a],
      (c) => c.client.mutation(UnarchiveNotificationMutation, { id: a.id }).toPromise(),
      (c) => {
        expect(c.all()).toEqual([a.id]);
        expect(c.archived()).toEqual([]);
        expect(c.totals()).toMatchObject({ unread: 1, unseen: 1 });
      },
    );
  });

  it('snooze and unsnooze', async () => {
    const a = notification(1);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    await refused(
      [a],
      (c) => c.client.mutation(SnoozeNotificationMutation, { id: a.id, until }).toPromise(),
      (c) => {
        expect(c.all()).toEqual([]);
        expect(c.snoozed()).toEqual([a.id]);
        expect(c.totals()).toMatchObject({ unread: 0, unseen: 0 });
      },
    );
    const b = notification(2, { snoozedUntil: until });
    await refused(
      [b],
      (c) => c.client.mutation(UnsnoozeNotificationMutation, { id: b.id }).toPromise(),
      (c) => {
        expect(c.all()).toEqual([b.id]);
        expect(c.totals()).toMatchObject({ unread: 1 });
      },
    );
  });

  it('mark unread', async () => {
    const readAt = new Date().toISOString();
    const a = notification(1, { kind: 'comment', read: true, readAt, seen: true, seenAt: readAt });
    await refused(
      [a],
      (c) => c.client.mutation(MarkNotificationUnreadMutation, { id: a.id }).toPromise(),
      (c) => {
        expect(c.unread()).toEqual([a.id]);
        // Unread again, but not unseen: it was seen.
        expect(c.totals()).toEqual({ unread: 1, unseen: 0, byKind: { comment: 1 } });
      },
    );
  });

  it('an action', async () => {
    const actions = [
      { __typename: 'NotificationAction', id: 'ok', label: 'OK', url: null, primary: true },
    ] as unknown as NotificationFieldsFragment['actions'];
    const a = notification(1, { actions });
    await refused(
      [a],
      (c) => c.client.mutation(PerformNotificationActionMutation, { id: a.id, actionId: 'ok' }).toPromise(),
      (c) => {
        expect(c.node(a.id)).toMatchObject({ actionId: 'ok', read: true });
        expect(c.unread()).toEqual([]);
        expect(c.totals()).toMatchObject({ unread: 0, unseen: 0 });
      },
    );
  });

  it('mark all seen', async () => {
    const [a, b] = [notification(1), notification(2)];
    await refused(
      [a, b],
      (c) => c.client.mutation(MarkNotificationsSeenMutation, {}).toPromise(),
      (c) => {
        expect(c.totals()).toMatchObject({ unread: 2, unseen: 0 });
        expect(c.node(a.id)?.seen).toBe(true);
      },
    );
  });

  it('archive read', async () => {
    const readAt = new Date(Date.now() - 60_000).toISOString();
    const [a, b] = [notification(1), notification(2, { read: true, readAt, seen: true, seenAt: readAt })];
    await refused(
      [a, b],
      (c) => c.client.mutation(ArchiveReadNotificationsMutation, {}).toPromise(),
      (c) => {
        expect(c.all()).toEqual([a.id]);
        expect(c.archived()).toEqual([b.id]);
      },
    );
  });

  it('archive counts once whether the answer or the event comes first', async () => {
    for (const eventFirst of [false, true]) {
      const [a, b] = [notification(1), notification(2)];
      const archived = { ...a, archived: true, archivedAt: new Date().toISOString() };
      const client = await answerAndEvent(
        eventFirst,
        [a, b],
        (c) => c.client.mutation(ArchiveNotificationMutation, { id: a.id }).toPromise(),
        { data: { archiveNotification: archived } },
        about('NotificationArchived', archived, counts(1)),
      );
      expect({ eventFirst, totals: client.totals(), all: client.all(), archived: client.archived() }).toEqual({
        eventFirst,
        totals: { unread: 1, unseen: 1, byKind: { info: 1 } },
        all: [b.id],
        archived: [a.id],
      });
    }
  });

  it('mark unread counts once whether the answer or the event comes first', async () => {
    for (const eventFirst of [false, true]) {
      const readAt = new Date().toISOString();
      const [a, b] = [notification(1, { read: true, readAt, seen: true, seenAt: readAt }), notification(2)];
      const unread = { ...a, read: false, readAt: null };
      const client = await answerAndEvent(
        eventFirst,
        [a, b],
        (c) => c.client.mutation(MarkNotificationUnreadMutation, { id: a.id }).toPromise(),
        { data: { markNotificationUnread: unread } },
        about('NotificationUnread', unread, counts(2, 1)),
      );
      expect({ eventFirst, totals: client.totals(), unread: client.unread() }).toEqual({
        eventFirst,
        totals: { unread: 2, unseen: 1, byKind: { info: 2 } },
        unread: [a.id, b.id],
      });
    }
  });
});

describe('an answer older than the stream', () => {
  it('a read answered after "archive read" was streamed stays archived', async () => {
    const [a, b] = [notification(1), notification(2)];
    const answer = deferred();
    const client = await setup([a, b], () => answer.promise);
    const done = client.client.mutation(MarkNotificationReadMutation, { id: a.id }).toPromise();
    await settle();
    const readAt = new Date().toISOString();
    const read = { ...a, read: true, readAt, seen: true, seenAt: readAt };
    await client.push(about('NotificationRead', read, counts(1), '40'));
    const archivedAt = new Date(Date.now() + 1_000).toISOString();
    await client.push({
      __typename: 'ReadNotificationsArchived',
      cursor: '41',
      unreadCount: 1,
      counts: counts(1),
      archivedAt,
      count: 1,
    });
    // The answer, as the server wrote it before the archive.
    answer.resolve({ data: { markNotificationRead: read } });
    await done;
    await settle();
    expect(client.all()).toEqual([b.id]);
    expect(client.archived()).toEqual([a.id]);
    expect(client.count()).toBe(1);
  });
});

describe('an event that arrives while its own mutation is still optimistic', () => {
  it('"archive read" streamed before its answer archives in the base data, not only in the optimistic layer', async () => {
    const readAt = new Date(Date.now() - 60_000).toISOString();
    const [a, b] = [notification(1), notification(2, { read: true, readAt, seen: true, seenAt: readAt })];
    const answer = deferred();
    const client = await setup([a, b], () => answer.promise);
    const done = client.client.mutation(ArchiveReadNotificationsMutation, {}).toPromise();
    await settle();
    expect(client.all()).toEqual([a.id]);
    const archivedAt = new Date().toISOString();
    await client.push({
      __typename: 'ReadNotificationsArchived',
      cursor: '50',
      unreadCount: 1,
      counts: counts(1),
      archivedAt,
      count: 1,
    });
    answer.resolve({
      data: { archiveReadNotifications: { __typename: 'ArchiveReadNotificationsPayload', count: 1, archivedAt } },
    });
    await done;
    await settle();
    expect(client.all()).toEqual([a.id]);
    expect(client.archived()).toEqual([b.id]);
    expect(client.node(a.id)?.archived).toBe(false);
  });

  it('an archive streamed before its answer stays archived', async () => {
    const [a, b] = [notification(1), notification(2)];
    const answer = deferred();
    const client = await setup([a, b], () => answer.promise);
    const done = client.client.mutation(ArchiveNotificationMutation, { id: a.id }).toPromise();
    await settle();
    const archived = { ...a, archived: true, archivedAt: new Date().toISOString() };
    await client.push(about('NotificationArchived', archived, counts(1)));
    answer.resolve({ data: { archiveNotification: archived } });
    await done;
    await settle();
    expect(client.all()).toEqual([b.id]);
    expect(client.archived()).toEqual([a.id]);
    expect(client.totals()).toMatchObject({ unread: 1 });
  });
});

describe('preferences and topics on a real store', () => {
  const preference = (
    kind: string,
    change: Partial<Record<'inApp' | 'push' | 'desktop' | 'sound' | 'critical', boolean>> = {},
  ) => ({
    __typename: 'KindPreference' as const,
    kind,
    inApp: true,
    push: true,
    desktop: true,
    sound: false,
    critical: false,
    ...change,
  });

  /** A client whose server knows `preferences` and `topics`, answering mutations with `mutation`. */
  async function settings(
    preferences: ReturnType<typeof preference>[],
    topics: string[],
    mutation: (name: string, variables: Record<string, unknown>) => unknown = () => ({ error: 'unexpected' }),
  ) {
    const fixture = cacheFixture((operation) => {
      const name = getOperationName(operation.query);
      if (name === 'NotificationPreferences') return { data: { notificationPreferences: preferences } };
      if (name === 'MyTopics') return { data: { myTopics: topics } };
      return mutation(name ?? '', operation.variables as Record<string, unknown>) as never;
    });
    let shown: { data?: { notificationPreferences: ReturnType<typeof preference>[] } } = {};
    fixture.client.query(NotificationPreferencesQuery, {}).subscribe((result) => {
      shown = result as typeof shown;
    });
    let followed: { data?: { myTopics: string[] } } = {};
    fixture.client.query(MyTopicsQuery, {}).subscribe((result) => {
      followed = result as typeof followed;
    });
    await settle();
    return {
      ...fixture,
      preferences: () =>
        shown.data?.notificationPreferences.map(({ kind, inApp, push, desktop, sound }) => ({
          kind,
          inApp,
          push,
          desktop,
          sound,
        })),
      topics: () => followed.data?.myTopics,
    };
  }

  const changed = (kind: string, change: Parameters<typeof preference>[1]): StreamEvent => ({
    __typename: 'NotificationPreferenceChanged',
    cursor: '9',
    unreadCount: 0,
    counts: counts(0),
    preference: preference(kind, change),
  });

  it('NotificationPreferenceChanged (set in another tab) changes the shown preference at once; a new kind joins the list in order; twice is once', async () => {
    const client = await settings([preference('comment'), preference('security', { critical: true })], []);
    await client.push(changed('comment', { inApp: false, sound: true }));
    await client.push(changed('build', { desktop: false }));
    await client.push(changed('build', { desktop: false }));
    expect(client.preferences()).toEqual([
      { kind: 'build', inApp: true, push: true, desktop: false, sound: false },
      { kind: 'comment', inApp: false, push: true, desktop: true, sound: true },
      { kind: 'security', inApp: true, push: true, desktop: true, sound: false },
    ]);
  });

  it('setNotificationPreference shows at once, keeps the settings not given, and rolls back when refused', async () => {
    const answer = deferred();
    const client = await settings([preference('security', { critical: true })], [], () => answer.promise);
    const done = client.client
      .mutation(SetNotificationPreferenceMutation, { kind: 'security', inApp: false })
      .toPromise();
    await settle();
    expect(client.preferences()).toEqual([{ kind: 'security', inApp: false, push: true, desktop: true, sound: false }]);
    answer.resolve(refusal('"security" is a critical kind (TIDINGS_CRITICAL_KINDS): it cannot be muted.'));
    expect((await done).error).toBeDefined();
    await settle();
    expect(client.preferences()).toEqual([{ kind: 'security', inApp: true, push: true, desktop: true, sound: false }]);
  });

  it('setNotificationPreference for a kind not listed yet adds it with the defaults and the change', async () => {
    const client = await settings([], [], (_name, variables) => ({
      data: { setNotificationPreference: preference(String(variables.kind), { sound: true }) },
    }));
    await client.client.mutation(SetNotificationPreferenceMutation, { kind: 'deploy', sound: true }).toPromise();
    await settle();
    expect(client.preferences()).toEqual([{ kind: 'deploy', inApp: true, push: true, desktop: true, sound: true }]);
  });

  it('following and leaving a topic change the list at once, in name order; a refused name rolls back', async () => {
    const client = await settings([], ['releases'], (name, variables) =>
      variables.topic === 'bad name!'
        ? refusal('must be 1 to 128 letters, digits, dots, dashes, underscores or colons.')
        : { data: { [name === 'SubscribeToTopic' ? 'subscribeToTopic' : 'unsubscribeFromTopic']: true } },
    );
    await client.client.mutation(SubscribeToTopicMutation, { topic: 'incidents:eu' }).toPromise();
    await settle();
    expect(client.topics()).toEqual(['incidents:eu', 'releases']);
    expect(
      (await client.client.mutation(SubscribeToTopicMutation, { topic: 'bad name!' }).toPromise()).error,
    ).toBeDefined();
    await settle();
    expect(client.topics()).toEqual(['incidents:eu', 'releases']);
    await client.client.mutation(UnsubscribeFromTopicMutation, { topic: 'releases' }).toPromise();
    await settle();
    expect(client.topics()).toEqual(['incidents:eu']);
  });
});
