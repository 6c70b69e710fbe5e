import { getOperationName } from '@urql/core';
import { describe, expect, it } from 'vitest';
import type { NotificationFieldsFragment, NotificationsQuery } from '../../web/src/gql/graphql.ts';
import {
  DeleteNotificationMutation,
  MarkAllNotificationsReadMutation,
  MarkNotificationReadMutation,
  NotificationsQuery as NotificationsDocument,
  UnreadNotificationCountQuery,
} from '../../web/src/notifications/documents.ts';
import type { StreamEvent } from '../../web/src/urql/cache.ts';
import { cacheFixture, counts, notification, page, refusal, settle, watch } from './fixtures.ts';

type Page = { data?: NotificationsQuery };
type Count = { data?: { unreadNotificationCount: number } };

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
  await settle();
  const ids = (read: () => Page) => read().data?.notifications.edges.map((edge) => edge.node.id);
  return {
    ...fixture,
    all: () => ids(everything as () => Page),
    unread: () => ids(unread as () => Page),
    count: () => (count as () => Count)().data?.unreadNotificationCount,
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
