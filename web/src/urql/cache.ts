import type { Cache, CacheExchangeOpts, Data, FieldArgs, UpdateResolver } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';
import type {
  NotificationEventsSubscription,
  NotificationFieldsFragment,
  NotificationReadStateFragment,
} from '../gql/graphql.ts';
import { graphql } from '../gql/index.ts';
import schema from '../gql/introspection.ts';

/** One event of the `notificationEvents` stream, as the web client selects it. */
export type StreamEvent = NotificationEventsSubscription['notificationEvents'];

/**
 * What an updater writes for an edge it inserts. No cursor: lists page by `pageInfo.endCursor`
 * (relayPagination reads an edge's cursor only for a page without one), and cursors are the
 * server's to make.
 */
const NotificationEdgeFragment = graphql(/* GraphQL */ `
  fragment NotificationEdgeFields on NotificationEdge {
    node {
      ...NotificationFields
    }
  }
`);

const ReadStateFragment = graphql(/* GraphQL */ `
  fragment NotificationReadState on Notification {
    id
    read
    readAt
  }
`);

const UnreadCount = graphql(/* GraphQL */ `
  query CachedUnreadNotificationCount {
    unreadNotificationCount
  }
`);

/**
 * What this client changed optimistically and the stream has not confirmed yet. The stream's
 * events carry the exact unread count; a mutation's answer does not. When the answer arrives
 * before its event, the answer adjusts the count once; when the event came first, the answer
 * leaves the count alone. Either order ends at the server's number, and no change counts twice.
 */
interface Pending {
  /** Ids marked read here that were unread when the user clicked. */
  reads: Set<string>;
  /** Ids deleted here, with whether they were unread. */
  deletes: Map<string, boolean>;
  /** Mark-all-read calls awaiting their event. */
  allReads: number;
}

/** An edge is keyed by its notification. */
function edgeKey(edge: Data): string | null {
  return (edge.node as { id?: string } | null)?.id ?? null;
}

/** Types without an identity of their own: stored inside whatever holds them. */
const embedded = Object.fromEntries(
  [
    'NotificationConnection',
    'PageInfo',
    'MarkAllNotificationsReadPayload',
    'NotificationCreated',
    'NotificationRead',
    'NotificationDeleted',
    'AllNotificationsRead',
    'NotificationStreamReady',
    'NotificationStreamHeartbeat',
    'NotificationStreamResync',
    'NotificationStreamEnded',
    'NotificationStreamStats',
    'UserConnectionCount',
  ].map((typename) => [typename, () => null]),
);

/**
 * Graphcache's configuration for Tidings: keys, pagination, and the updaters that apply stream
 * events and mutations to every cached list. Each updater is idempotent: the same event twice
 * changes nothing, so replays after a reconnect and events relayed between tabs are safe.
 */
export function notificationCacheOptions(): CacheExchangeOpts {
  const pending: Pending = { reads: new Set(), deletes: new Map(), allReads: 0 };

  const onEvent: UpdateResolver = (result, _args, cache) => {
    applyEvent(cache, (result as { notificationEvents: StreamEvent }).notificationEvents, pending);
  };

  return {
    // The schema's types (generated): fragments on the NotificationEvent interface match by its
    // possible types, not by graphcache's heuristic.
    schema,
    keys: {
      // An edge is one notification's place in a list; keying it by the notification lets an
      // updater add the same edge to several lists and find it again.
      NotificationEdge: edgeKey,
      ...embedded,
    },
    resolvers: { Query: { notifications: relayPagination() } },
    updates: {
      Subscription: { notificationEvents: onEvent },
      Mutation: {
        markNotificationRead(_result, args, cache, info) {
          const id = String(args.id);
          if (!pending.reads.has(id)) return;
          removeFromLists(cache, id, { unreadOnly: true });
          adjustUnreadCount(cache, -1);
          if (!info.optimistic) pending.reads.delete(id);
        },
        deleteNotification(_result, args, cache, info) {
          const id = String(args.id);
          const wasUnread = pending.deletes.get(id);
          if (wasUnread === undefined) return;
          removeFromLists(cache, id);
          if (wasUnread) adjustUnreadCount(cache, -1);
          if (!info.optimistic) {
            pending.deletes.delete(id);
            cache.invalidate({ __typename: 'Notification', id });
          }
        },
        markAllNotificationsRead(result, _args, cache, info) {
          if (pending.allReads === 0) return;
          const { readAt } = result.markAllNotificationsRead as { readAt: string };
          markAllRead(cache, readAt);
          setUnreadCount(cache, 0);
          if (!info.optimistic) pending.allReads -= 1;
        },
      },
    },
    optimistic: {
      // Optimistic functions run before anything is written, so they are where "was it unread?"
      // can still be answered. A refused mutation drops its optimistic layer: that is the rollback.
      markNotificationRead(args, cache) {
        const id = String(args.id);
        const before = cache.readFragment(ReadStateFragment, { __typename: 'Notification', id });
        if (before?.read === false) pending.reads.add(id);
        return { __typename: 'Notification', id, read: true, readAt: before?.readAt ?? new Date().toISOString() };
      },
      deleteNotification(args, cache) {
        const id = String(args.id);
        const before = cache.readFragment(ReadStateFragment, { __typename: 'Notification', id });
        pending.deletes.set(id, before?.read === false);
        return id;
      },
      markAllNotificationsRead(_args, cache) {
        pending.allReads += 1;
        const count = cache.readQuery({ query: UnreadCount })?.unreadNotificationCount ?? 0;
        return { __typename: 'MarkAllNotificationsReadPayload', count, readAt: new Date().toISOString() };
      },
    },
  };
}

/** Applies one stream event to the cache. Safe to call twice with the same event. */
function applyEvent(cache: Cache, event: StreamEvent, pending: Pending) {
  switch (event.__typename) {
    case 'NotificationCreated':
      addToLists(cache, event.notification);
      break;
    case 'NotificationRead':
      pending.reads.delete(event.notification.id);
      // The entity updates itself (it came back with its id); only list membership is ours.
      removeFromLists(cache, event.notification.id, { unreadOnly: true });
      break;
    case 'NotificationDeleted':
      pending.deletes.delete(event.notificationId);
      removeFromLists(cache, event.notificationId);
      cache.invalidate({ __typename: 'Notification', id: event.notificationId });
      break;
    case 'AllNotificationsRead':
      pending.allReads = 0;
      markAllRead(cache, event.readAt);
      break;
    case 'NotificationStreamResync':
      // The log could not replay what this client missed: refetch every list.
      for (const field of notificationListFields(cache)) cache.invalidate('Query', field.fieldName, field.arguments);
      break;
    default:
      break;
  }
  setUnreadCount(cache, event.unreadCount);
}

interface ListField {
  fieldName: string;
  arguments: FieldArgs & object;
  connection: string;
  unreadOnly: boolean;
  firstPage: boolean;
}

/** Every cached page of `Query.notifications`, whatever its arguments. */
function notificationListFields(cache: Cache): ListField[] {
  const fields: ListField[] = [];
  for (const field of cache.inspectFields('Query')) {
    if (field.fieldName !== 'notifications') continue;
    const args = field.arguments ?? {};
    const connection = cache.resolve('Query', field.fieldKey);
    if (typeof connection !== 'string') continue;
    fields.push({
      fieldName: field.fieldName,
      arguments: args,
      connection,
      unreadOnly: args.unreadOnly === true,
      firstPage: args.after == null && args.before == null,
    });
  }
  return fields;
}

function edgesOf(cache: Cache, connection: string): string[] {
  const edges = cache.resolve(connection, 'edges');
  return Array.isArray(edges) ? edges.filter((edge): edge is string => typeof edge === 'string') : [];
}

function nodeOf(cache: Cache, edge: string): string | null {
  const node = cache.resolve(edge, 'node');
  return typeof node === 'string' ? node : null;
}

/** Puts a new notification into the first page of every list it belongs in, newest first. */
function addToLists(cache: Cache, notification: NotificationFieldsFragment) {
  const nodeKey = cache.keyOfEntity({ __typename: 'Notification', id: notification.id });
  const lists = notificationListFields(cache).filter((list) => !(list.unreadOnly && notification.read));
  const alreadyListed = (unreadOnly: boolean) =>
    lists.some(
      (list) =>
        list.unreadOnly === unreadOnly &&
        edgesOf(cache, list.connection).some((edge) => nodeOf(cache, edge) === nodeKey),
    );
  const targets = lists.filter((list) => list.firstPage && !alreadyListed(list.unreadOnly));
  if (targets.length === 0) return;

  const edge = { __typename: 'NotificationEdge', node: notification } as const;
  cache.writeFragment(NotificationEdgeFragment, edge);
  const edgeKey = cache.keyOfEntity(edge as unknown as Data);
  if (!edgeKey) return;
  const newer = (edgeKeyInList: string) => {
    const node = nodeOf(cache, edgeKeyInList);
    const createdAt = node ? cache.resolve(node, 'createdAt') : null;
    return typeof createdAt === 'string' && createdAt > notification.createdAt;
  };
  for (const list of targets) {
    const edges = edgesOf(cache, list.connection);
    const at = edges.findIndex((existing) => !newer(existing));
    const next = at === -1 ? [...edges, edgeKey] : [...edges.slice(0, at), edgeKey, ...edges.slice(at)];
    cache.link(list.connection, 'edges', next);
  }
}

/** Takes a notification out of every cached list (or only the unread-only ones). */
function removeFromLists(cache: Cache, id: string, only: { unreadOnly?: boolean } = {}) {
  const nodeKey = cache.keyOfEntity({ __typename: 'Notification', id });
  for (const list of notificationListFields(cache)) {
    if (only.unreadOnly && !list.unreadOnly) continue;
    const edges = edgesOf(cache, list.connection);
    // Written even when nothing seems to change: reads see optimistic layers, and the base
    // data under them must still lose the edge.
    cache.link(
      list.connection,
      'edges',
      edges.filter((edge) => nodeOf(cache, edge) !== nodeKey),
    );
  }
}

/**
 * Marks every cached notification created up to `readAt` read. Ones created later were not covered
 * by that mark-all (they can already be cached when the event is replayed after a refetch).
 */
function markAllRead(cache: Cache, readAt: string) {
  const seen = new Set<string>();
  for (const list of notificationListFields(cache)) {
    const edges = edgesOf(cache, list.connection);
    const kept: string[] = [];
    for (const edge of edges) {
      const node = nodeOf(cache, edge);
      if (!node) continue;
      const createdAt = cache.resolve(node, 'createdAt');
      const covered = typeof createdAt !== 'string' || createdAt <= readAt;
      if (covered && !seen.has(node)) {
        seen.add(node);
        // Also when it reads as read already: that may be an optimistic layer, not the base data.
        const earlier = cache.resolve(node, 'readAt');
        cache.writeFragment(ReadStateFragment, {
          __typename: 'Notification',
          id: idOf(cache, node),
          read: true,
          readAt: typeof earlier === 'string' && earlier < readAt ? earlier : readAt,
        } as NotificationReadStateFragment);
      }
      if (!(list.unreadOnly && covered)) kept.push(edge);
    }
    cache.link(list.connection, 'edges', kept);
  }
}

function idOf(cache: Cache, entityKey: string): string {
  return String(cache.resolve(entityKey, 'id'));
}

function setUnreadCount(cache: Cache, count: number) {
  cache.updateQuery({ query: UnreadCount }, () => ({ __typename: 'Query', unreadNotificationCount: count }));
}

function adjustUnreadCount(cache: Cache, delta: number) {
  cache.updateQuery({ query: UnreadCount }, (data) =>
    data ? { ...data, unreadNotificationCount: Math.max(0, data.unreadNotificationCount + delta) } : data,
  );
}
