import type { Cache, CacheExchangeOpts, Data, FieldArgs, UpdateResolver, Variables } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';
import type {
  KindPreferenceFieldsFragment,
  NotificationBulkStateFragment,
  NotificationCountsFieldsFragment,
  NotificationEventsSubscription,
  NotificationFieldsFragment,
} from '../gql/graphql.ts';
import { graphql } from '../gql/index.ts';
import schema from '../gql/introspection.ts';
import {
  KindPreferenceFieldsFragment as KindPreferenceDocument,
  MyTopicsQuery,
  NotificationFieldsFragment as NotificationFieldsDocument,
  NotificationPreferencesQuery,
} from '../notifications/documents.ts';

/** One event of the `notificationEvents` stream, as the web client selects it. */
export type StreamEvent = NotificationEventsSubscription['notificationEvents'];

export type Counts = NotificationCountsFieldsFragment;

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

/** The fields the bulk changes (read all, seen, archive read) write. */
const BulkStateFragment = graphql(/* GraphQL */ `
  fragment NotificationBulkState on Notification {
    id
    read
    readAt
    seen
    seenAt
    archived
    archivedAt
  }
`);

const UnreadCount = graphql(/* GraphQL */ `
  query CachedUnreadNotificationCount {
    unreadNotificationCount
  }
`);

const CountsQuery = graphql(/* GraphQL */ `
  query CachedNotificationCounts {
    notificationCounts {
      ...NotificationCountsFields
    }
  }
`);

/** How one change moves the counts. */
interface CountsDelta {
  unread: number;
  unseen: number;
  /** Unread by kind. */
  kinds: Map<string, number>;
}

/**
 * What this client changed optimistically and the stream has not confirmed yet. The stream's
 * events carry the exact counts; a mutation's answer does not. When the answer arrives before its
 * event, the answer moves the counts once; when the event came first, the answer leaves them
 * alone. Either order ends at the server's numbers, and no change counts twice.
 */
interface Pending {
  /** Keyed `Event:id` (the event that confirms the change): how the change moves the counts. */
  changes: Map<string, CountsDelta>;
  /** Bulk mutations awaiting their event, by event type. */
  bulk: Record<BulkEvent, number>;
  /**
   * Each notification as the stream last left it. A mutation's answer can arrive after its own
   * event and later ones (say, a read answered after "archive read" was streamed): the answer is
   * then older than the cache, and this puts the stream's version back.
   */
  confirmed: Map<string, NotificationFieldsFragment>;
  /**
   * Every notification an optimistic change touched. Reads in an updater see the optimistic
   * layers, so a list can look as if it no longer held a notification the base data still lists:
   * an event looks at these too.
   */
  touched: Set<string>;
}

type BulkEvent = 'AllNotificationsRead' | 'NotificationsSeen' | 'ReadNotificationsArchived';

/** An edge is keyed by its notification. */
function edgeKey(edge: Data): string | null {
  return (edge.node as { id?: string } | null)?.id ?? null;
}

/** A preference is the viewer's for one kind: keyed by the kind. */
function preferenceKey(preference: Data): string | null {
  return typeof preference.kind === 'string' ? preference.kind : null;
}

/** Types without an identity of their own: stored inside whatever holds them. */
const embedded = Object.fromEntries(
  [
    'NotificationConnection',
    'PageInfo',
    // Its id is only unique within one notification ("approve" on many of them).
    'NotificationAction',
    'NotificationCounts',
    'KindCount',
    'MarkAllNotificationsReadPayload',
    'MarkNotificationsSeenPayload',
    'ArchiveReadNotificationsPayload',
    'NotificationCreated',
    'NotificationRead',
    'NotificationUnread',
    'NotificationArchived',
    'NotificationUnarchived',
    'NotificationSnoozed',
    'NotificationWoke',
    'NotificationActed',
    'NotificationExpired',
    'NotificationDeleted',
    'AllNotificationsRead',
    'NotificationsSeen',
    'ReadNotificationsArchived',
    'NotificationPreferenceChanged',
    'NotificationStreamReady',
    'NotificationStreamHeartbeat',
    'NotificationStreamResync',
    'NotificationStreamEnded',
    'NotificationStreamStats',
    'UserConnectionCount',
  ].map((typename) => [typename, () => null]),
);

type Change = (before: NotificationFieldsFragment, args: Variables, now: string) => Partial<NotificationFieldsFragment>;

/**
 * The mutations on one notification: the event that confirms each, and what it changes (the
 * server's rules in store/inbox.ts, as far as the client can tell them).
 */
const oneNotification: Record<string, { event: string; change: Change }> = {
  markNotificationRead: {
    event: 'NotificationRead',
    change: (before, _args, now) => ({
      read: true,
      readAt: before.readAt ?? now,
      seen: true,
      seenAt: before.seenAt ?? now,
    }),
  },
  markNotificationUnread: { event: 'NotificationUnread', change: () => ({ read: false, readAt: null }) },
  archiveNotification: {
    event: 'NotificationArchived',
    change: (before, _args, now) => ({ archived: true, archivedAt: before.archivedAt ?? now }),
  },
  unarchiveNotification: { event: 'NotificationUnarchived', change: () => ({ archived: false, archivedAt: null }) },
  snoozeNotification: {
    event: 'NotificationSnoozed',
    change: (_before, args) => ({ snoozedUntil: new Date(String(args.until)).toISOString() }),
  },
  unsnoozeNotification: { event: 'NotificationWoke', change: () => ({ snoozedUntil: null }) },
  performNotificationAction: {
    event: 'NotificationActed',
    // The first action stands.
    change: (before, args, now) =>
      before.actedAt
        ? {}
        : {
            actedAt: now,
            actionId: String(args.actionId),
            read: true,
            readAt: before.readAt ?? now,
            seen: true,
            seenAt: before.seenAt ?? now,
          },
  },
};

/**
 * Graphcache's configuration for Tidings: keys, pagination, and the updaters that apply stream
 * events and mutations to every cached list and to the counts. Each updater is idempotent: the
 * same event twice changes nothing, so replays after a reconnect and events relayed between tabs
 * are safe.
 */
export function notificationCacheOptions(): CacheExchangeOpts {
  const pending: Pending = {
    changes: new Map(),
    bulk: { AllNotificationsRead: 0, NotificationsSeen: 0, ReadNotificationsArchived: 0 },
    confirmed: new Map(),
    touched: new Set(),
  };

  const onEvent: UpdateResolver = (result, _args, cache) => {
    applyEvent(cache, (result as { notificationEvents: StreamEvent }).notificationEvents, pending);
  };

  const mutationUpdates: Record<string, UpdateResolver> = {};
  const optimistic: NonNullable<CacheExchangeOpts['optimistic']> = {};
  for (const [field, { event, change }] of Object.entries(oneNotification)) {
    // Optimistic functions run before anything is written, so they are where "how was it?" can
    // still be answered. A refused mutation drops its optimistic layer: that is the rollback.
    optimistic[field] = (args, cache) => {
      const id = String(args.id);
      const before = readNotification(cache, id);
      if (!before) return null;
      const after = { ...before, ...change(before, args, new Date().toISOString()) };
      pending.touched.add(id);
      pending.changes.set(`${event}:${id}`, countsDelta(before, after));
      return after;
    };
    mutationUpdates[field] = (_result, args, cache, info) => {
      const id = String(args.id);
      const confirmed = pending.confirmed.get(id);
      if (!info.optimistic && !pending.changes.has(`${event}:${id}`) && confirmed) {
        cache.writeFragment(NotificationFieldsDocument, confirmed);
      }
      placeInLists(cache, id);
      settlePending(cache, pending, `${event}:${id}`, info.optimistic === true);
    };
  }

  return {
    // The schema's types (generated): fragments on the NotificationEvent interface match by its
    // possible types, not by graphcache's heuristic.
    schema,
    keys: {
      // An edge is one notification's place in a list; keying it by the notification lets an
      // updater add the same edge to several lists and find it again.
      NotificationEdge: edgeKey,
      // One per kind for the viewer: a changed preference updates itself wherever it is shown.
      KindPreference: preferenceKey,
      ...embedded,
    },
    resolvers: { Query: { notifications: relayPagination() } },
    updates: {
      Subscription: { notificationEvents: onEvent },
      Mutation: {
        ...mutationUpdates,
        deleteNotification(_result, args, cache, info) {
          const id = String(args.id);
          const key = `NotificationDeleted:${id}`;
          if (!pending.changes.has(key)) return;
          removeFromLists(cache, id);
          settlePending(cache, pending, key, info.optimistic === true);
          if (!info.optimistic) cache.invalidate({ __typename: 'Notification', id });
        },
        markAllNotificationsRead(result, _args, cache, info) {
          if (pending.bulk.AllNotificationsRead === 0) return;
          const { readAt } = result.markAllNotificationsRead as { readAt: string };
          for (const id of markAllRead(cache, readAt)) if (info.optimistic) pending.touched.add(id);
          setCounts(cache, { unread: 0, unseen: 0, unreadByKind: [] });
          if (!info.optimistic) pending.bulk.AllNotificationsRead -= 1;
        },
        markNotificationsSeen(result, _args, cache, info) {
          if (pending.bulk.NotificationsSeen === 0) return;
          const { seenAt } = result.markNotificationsSeen as { seenAt: string };
          for (const id of markAllSeen(cache, seenAt)) if (info.optimistic) pending.touched.add(id);
          const counts = readCounts(cache);
          if (counts) setCounts(cache, { ...counts, unseen: 0 });
          if (!info.optimistic) pending.bulk.NotificationsSeen -= 1;
        },
        archiveReadNotifications(result, _args, cache, info) {
          if (pending.bulk.ReadNotificationsArchived === 0) return;
          const { archivedAt } = result.archiveReadNotifications as { archivedAt: string };
          // Read ones are not counted: only the lists change.
          for (const id of archiveRead(cache, archivedAt)) if (info.optimistic) pending.touched.add(id);
          if (!info.optimistic) pending.bulk.ReadNotificationsArchived -= 1;
        },
        setNotificationPreference(result, _args, cache) {
          listPreference(cache, result.setNotificationPreference as KindPreferenceFieldsFragment);
        },
        subscribeToTopic(_result, args, cache) {
          changeTopics(cache, (topics) => [...new Set([...topics, String(args.topic)])].sort(byName));
        },
        unsubscribeFromTopic(_result, args, cache) {
          changeTopics(cache, (topics) => topics.filter((topic) => topic !== args.topic));
        },
      },
    },
    optimistic: {
      ...optimistic,
      deleteNotification(args, cache) {
        const id = String(args.id);
        const before = readNotification(cache, id);
        pending.changes.set(`NotificationDeleted:${id}`, before ? countsDelta(before, null) : emptyDelta());
        return id;
      },
      markAllNotificationsRead(_args, cache) {
        pending.bulk.AllNotificationsRead += 1;
        const count = readCounts(cache)?.unread ?? 0;
        return { __typename: 'MarkAllNotificationsReadPayload', count, readAt: new Date().toISOString() };
      },
      markNotificationsSeen(_args, cache) {
        pending.bulk.NotificationsSeen += 1;
        const count = readCounts(cache)?.unseen ?? 0;
        return { __typename: 'MarkNotificationsSeenPayload', count, seenAt: new Date().toISOString() };
      },
      archiveReadNotifications() {
        pending.bulk.ReadNotificationsArchived += 1;
        return { __typename: 'ArchiveReadNotificationsPayload', count: 0, archivedAt: new Date().toISOString() };
      },
      // The settings given change, the others stay (a kind not set yet has the defaults); a
      // critical kind refused by the server rolls back.
      setNotificationPreference(args, cache) {
        const kind = String(args.kind);
        const before = cache.readFragment(KindPreferenceDocument, { __typename: 'KindPreference', kind }) ?? {
          ...defaultPreference,
          kind,
        };
        const given = (field: 'inApp' | 'push' | 'desktop' | 'sound') =>
          typeof args[field] === 'boolean' ? (args[field] as boolean) : before[field];
        return {
          ...before,
          __typename: 'KindPreference',
          inApp: given('inApp'),
          push: given('push'),
          desktop: given('desktop'),
          sound: given('sound'),
        };
      },
      subscribeToTopic: () => true,
      unsubscribeFromTopic: () => true,
    },
  };
}

/** Moves the counts by a pending change: optimistically, or for good when its answer beat its event. */
function settlePending(cache: Cache, pending: Pending, key: string, optimistic: boolean) {
  const delta = pending.changes.get(key);
  if (!delta) return;
  adjustCounts(cache, delta);
  if (!optimistic) pending.changes.delete(key);
}

/** Applies one stream event to the cache. Safe to call twice with the same event. */
function applyEvent(cache: Cache, event: StreamEvent, pending: Pending) {
  switch (event.__typename) {
    case 'NotificationCreated':
    case 'NotificationRead':
    case 'NotificationUnread':
    case 'NotificationArchived':
    case 'NotificationUnarchived':
    case 'NotificationSnoozed':
    case 'NotificationWoke':
    case 'NotificationActed':
      pending.changes.delete(`${event.__typename}:${event.notification.id}`);
      pending.confirmed.set(event.notification.id, event.notification);
      // The entity updates itself (it came back with its id); only list membership is ours. A
      // grouped create moves its notification to the top.
      placeInLists(cache, event.notification.id, {
        moved: event.__typename === 'NotificationCreated',
        fromStream: true,
      });
      break;
    case 'NotificationDeleted':
      pending.changes.delete(`NotificationDeleted:${event.notificationId}`);
      pending.confirmed.delete(event.notificationId);
      pending.touched.delete(event.notificationId);
      removeFromLists(cache, event.notificationId);
      cache.invalidate({ __typename: 'Notification', id: event.notificationId });
      break;
    case 'NotificationExpired':
      pending.confirmed.delete(event.notificationId);
      removeFromLists(cache, event.notificationId);
      break;
    case 'AllNotificationsRead':
      pending.bulk.AllNotificationsRead = 0;
      markAllRead(cache, event.readAt, pending);
      break;
    case 'NotificationsSeen':
      pending.bulk.NotificationsSeen = 0;
      markAllSeen(cache, event.seenAt, pending);
      break;
    case 'ReadNotificationsArchived':
      pending.bulk.ReadNotificationsArchived = 0;
      archiveRead(cache, event.archivedAt, pending);
      break;
    case 'NotificationPreferenceChanged':
      // The preference updates itself (keyed by kind); a kind set for the first time joins the list.
      listPreference(cache, event.preference);
      break;
    case 'NotificationStreamResync':
      // The log could not replay what this client missed: refetch every list.
      for (const field of notificationListFields(cache)) cache.invalidate('Query', field.fieldName, field.arguments);
      break;
    default:
      break;
  }
  setCounts(cache, event.counts);
  setUnreadCount(cache, event.unreadCount);
}

interface ListField {
  fieldName: string;
  arguments: FieldArgs & object;
  connection: string;
  /** Pages of one list (same filters, another cursor) share it. */
  family: string;
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
    const { first: _first, last: _last, after: _after, before: _before, ...filters } = args;
    fields.push({
      fieldName: field.fieldName,
      arguments: args,
      connection,
      family: JSON.stringify({
        unreadOnly: filters.unreadOnly === true,
        archived: filters.archived === true,
        snoozed: filters.snoozed === true,
        kinds: Array.isArray(filters.kinds) ? filters.kinds : null,
      }),
      firstPage: args.after == null && args.before == null,
    });
  }
  return fields;
}

/** Whether a list with these arguments holds the notification (the server's filters). */
function belongsIn(notification: NotificationFieldsFragment, args: FieldArgs & object): boolean {
  if ((args.archived === true) !== notification.archived) return false;
  if ((args.snoozed === true) !== (notification.snoozedUntil != null)) return false;
  if (args.unreadOnly === true && notification.read) return false;
  if (Array.isArray(args.kinds) && !(args.kinds as unknown[]).includes(notification.kind)) return false;
  return true;
}

function edgesOf(cache: Cache, connection: string): string[] {
  const edges = cache.resolve(connection, 'edges');
  return Array.isArray(edges) ? edges.filter((edge): edge is string => typeof edge === 'string') : [];
}

function nodeOf(cache: Cache, edge: string): string | null {
  const node = cache.resolve(edge, 'node');
  return typeof node === 'string' ? node : null;
}

function hasNextPage(cache: Cache, connection: string): boolean {
  const pageInfo = cache.resolve(connection, 'pageInfo');
  return typeof pageInfo === 'string' && cache.resolve(pageInfo, 'hasNextPage') === true;
}

function readNotification(cache: Cache, id: string): NotificationFieldsFragment | null {
  return cache.readFragment(NotificationFieldsDocument, { __typename: 'Notification', id });
}

function positionOf(cache: Cache, nodeKey: string): { createdAt: string; id: string } {
  return { createdAt: String(cache.resolve(nodeKey, 'createdAt')), id: String(cache.resolve(nodeKey, 'id')) };
}

/** Newest first, as the server orders: by createdAt, then id. */
function isNewer(cache: Cache, nodeKey: string, than: { createdAt: string; id: string }): boolean {
  const createdAt = cache.resolve(nodeKey, 'createdAt');
  if (typeof createdAt !== 'string') return false;
  if (createdAt !== than.createdAt) return createdAt > than.createdAt;
  return String(cache.resolve(nodeKey, 'id')) > than.id;
}

/**
 * Puts a notification where it belongs now in every cached list, and takes it out of those it
 * left: one function for every change (read, unread, archive, snooze, wake, act, a grouped
 * create), since each only changes which lists hold it. It goes into the page of each list where
 * it falls by time; one older than every loaded page waits for the next page to be fetched.
 */
function placeInLists(cache: Cache, id: string, { moved = false, fromStream = false } = {}) {
  const notification = readNotification(cache, id);
  if (!notification) return;
  const nodeKey = cache.keyOfEntity({ __typename: 'Notification', id });
  const families = new Map<string, ListField[]>();
  for (const list of notificationListFields(cache))
    families.set(list.family, [...(families.get(list.family) ?? []), list]);

  let edgeKey: string | null = null;
  for (const pages of families.values()) {
    const belongs = belongsIn(notification, pages[0]?.arguments ?? {});
    const holding = pages.filter((list) =>
      edgesOf(cache, list.connection).some((edge) => nodeOf(cache, edge) === nodeKey),
    );
    // Written even when nothing seems to change: reads see optimistic layers, and the base
    // data under them must still lose the edge.
    if (!belongs || moved) {
      for (const list of pages) unlink(cache, list.connection, nodeKey);
    } else if (holding.length > 0) {
      // From the stream, where it reads as listed already, that may be an optimistic layer: the
      // base data must list it too.
      if (fromStream) for (const list of holding) cache.link(list.connection, 'edges', edgesOf(cache, list.connection));
      continue;
    }
    if (!belongs) continue;

    const target = insertionPoint(cache, pages, notification);
    if (!target) continue;
    if (!edgeKey) {
      const edge = { __typename: 'NotificationEdge', node: notification } as const;
      cache.writeFragment(NotificationEdgeFragment, edge);
      edgeKey = cache.keyOfEntity(edge as unknown as Data);
    }
    if (!edgeKey) return;
    const edges = edgesOf(cache, target.list.connection).filter((edge) => nodeOf(cache, edge) !== nodeKey);
    const at =
      target.index === -1
        ? edges.length
        : edges.findIndex((edge) => !isNewer(cache, nodeOf(cache, edge) ?? '', notification));
    const index = at === -1 ? edges.length : at;
    cache.link(target.list.connection, 'edges', [...edges.slice(0, index), edgeKey, ...edges.slice(index)]);
  }
}

/**
 * The page of a list a notification falls into: before the newest cached one older than it, or
 * at the end of the last page when it is older than everything and the list has no more.
 */
function insertionPoint(
  cache: Cache,
  pages: ListField[],
  notification: NotificationFieldsFragment,
): { list: ListField; index: number } | null {
  let best: { list: ListField; index: number; node: string } | null = null;
  for (const list of pages) {
    const edges = edgesOf(cache, list.connection);
    const index = edges.findIndex((edge) => {
      const node = nodeOf(cache, edge);
      return node !== null && !isNewer(cache, node, notification);
    });
    const node = index === -1 ? null : nodeOf(cache, edges[index] ?? '');
    // Pages do not overlap: the page holding the newest of the older ones is where it goes.
    if (node && (!best || isNewer(cache, node, positionOf(cache, best.node)))) best = { list, index, node };
  }
  if (best) return best;
  const last = pages.find((list) => !hasNextPage(cache, list.connection));
  // Only the first page is certain to be where a list starts: an empty list takes it there.
  if (last && (pages.length === 1 || edgesOf(cache, last.connection).length > 0)) return { list: last, index: -1 };
  return null;
}

function unlink(cache: Cache, connection: string, nodeKey: string | null) {
  cache.link(
    connection,
    'edges',
    edgesOf(cache, connection).filter((edge) => nodeOf(cache, edge) !== nodeKey),
  );
}

/** Takes a notification out of every cached list. */
function removeFromLists(cache: Cache, id: string) {
  const nodeKey = cache.keyOfEntity({ __typename: 'Notification', id });
  for (const list of notificationListFields(cache)) unlink(cache, list.connection, nodeKey);
}

/** Every notification in a cached list, once. */
function cachedNotifications(cache: Cache): NotificationFieldsFragment[] {
  const seen = new Set<string>();
  const found: NotificationFieldsFragment[] = [];
  for (const list of notificationListFields(cache)) {
    for (const edge of edgesOf(cache, list.connection)) {
      const node = nodeOf(cache, edge);
      if (!node || seen.has(node)) continue;
      seen.add(node);
      const notification = readNotification(cache, String(cache.resolve(node, 'id')));
      if (notification) found.push(notification);
    }
  }
  return found;
}

const isShown = (notification: NotificationFieldsFragment) => !notification.archived && !notification.snoozedUntil;

/**
 * Writes a bulk change to each notification it covers, then places each in the lists; answers
 * their ids. From an event (`pending` given), the notifications optimistic changes touched are
 * looked at too, and the stream's versions take the change.
 */
function changeEach(
  cache: Cache,
  covers: (notification: NotificationFieldsFragment) => boolean,
  change: (notification: NotificationFieldsFragment) => Partial<NotificationFieldsFragment>,
  pending?: Pending,
): string[] {
  const confirmed = pending?.confirmed;
  const candidates = cachedNotifications(cache);
  for (const id of pending?.touched ?? []) {
    const notification = candidates.some((known) => known.id === id) ? null : readNotification(cache, id);
    if (notification) candidates.push(notification);
  }
  // Every one covered is written, also when it reads as changed already: that may be an
  // optimistic layer, not the base data.
  const covered = candidates.filter(covers);
  for (const notification of covered) {
    const changed = { ...notification, ...change(notification) };
    const { id, read, readAt, seen, seenAt, archived, archivedAt } = changed;
    const streamed = confirmed?.get(id);
    if (streamed) confirmed?.set(id, { ...streamed, read, readAt, seen, seenAt, archived, archivedAt });
    cache.writeFragment(BulkStateFragment, {
      __typename: 'Notification',
      id,
      read,
      readAt,
      seen,
      seenAt,
      archived,
      archivedAt,
    } as NotificationBulkStateFragment);
  }
  for (const notification of covered) placeInLists(cache, notification.id, { fromStream: pending !== undefined });
  return covered.map((notification) => notification.id);
}

/**
 * Marks every shown cached notification created up to `readAt` read (and seen). Ones created
 * later were not covered by that mark-all (they can already be cached when the event is replayed
 * after a refetch).
 */
function markAllRead(cache: Cache, readAt: string, pending?: Pending): string[] {
  return changeEach(
    cache,
    (notification) => isShown(notification) && notification.createdAt <= readAt,
    (notification) => ({
      read: true,
      readAt: notification.readAt && notification.readAt < readAt ? notification.readAt : readAt,
      seen: true,
      seenAt: notification.seenAt ?? readAt,
    }),
    pending,
  );
}

/** Marks every shown cached notification created up to `seenAt` seen. */
function markAllSeen(cache: Cache, seenAt: string, pending?: Pending): string[] {
  return changeEach(
    cache,
    (notification) => isShown(notification) && notification.createdAt <= seenAt,
    (notification) => ({ seen: true, seenAt: notification.seenAt ?? seenAt }),
    pending,
  );
}

/** Archives every cached notification read by `archivedAt` (snoozed ones too, as the server does). */
function archiveRead(cache: Cache, archivedAt: string, pending?: Pending): string[] {
  return changeEach(
    cache,
    // Archived ones too: the one read may be the optimistic layer of this very change.
    (notification) => notification.read && (notification.readAt ?? '') <= archivedAt,
    (notification) => ({ archived: true, archivedAt: notification.archivedAt ?? archivedAt }),
    pending,
  );
}

function emptyDelta(): CountsDelta {
  return { unread: 0, unseen: 0, kinds: new Map() };
}

/** How the counts move when a notification goes from `before` to `after` (null: gone). */
function countsDelta(before: NotificationFieldsFragment | null, after: NotificationFieldsFragment | null): CountsDelta {
  const delta = emptyDelta();
  const add = (notification: NotificationFieldsFragment | null, sign: 1 | -1) => {
    if (!notification || !isShown(notification)) return;
    if (!notification.seen) delta.unseen += sign;
    if (notification.read) return;
    delta.unread += sign;
    delta.kinds.set(notification.kind, (delta.kinds.get(notification.kind) ?? 0) + sign);
  };
  add(before, -1);
  add(after, 1);
  return delta;
}

function readCounts(cache: Cache): Counts | null {
  return cache.readQuery({ query: CountsQuery })?.notificationCounts ?? null;
}

/** Writes the counts (the server's, or the optimistic guess) where both count queries read them. */
function setCounts(cache: Cache, counts: Counts) {
  cache.updateQuery({ query: CountsQuery }, () => ({
    __typename: 'Query',
    notificationCounts: {
      __typename: 'NotificationCounts',
      unread: counts.unread,
      unseen: counts.unseen,
      unreadByKind: counts.unreadByKind.map(({ kind, unread }) => ({ __typename: 'KindCount', kind, unread })),
    },
  }));
  setUnreadCount(cache, counts.unread);
}

function setUnreadCount(cache: Cache, count: number) {
  cache.updateQuery({ query: UnreadCount }, () => ({ __typename: 'Query', unreadNotificationCount: count }));
}

function adjustCounts(cache: Cache, delta: CountsDelta) {
  const counts = readCounts(cache);
  if (!counts) {
    const unread = cache.readQuery({ query: UnreadCount })?.unreadNotificationCount;
    if (typeof unread === 'number') setUnreadCount(cache, Math.max(0, unread + delta.unread));
    return;
  }
  const kinds = new Map(counts.unreadByKind.map(({ kind, unread }) => [kind, unread]));
  for (const [kind, change] of delta.kinds) kinds.set(kind, (kinds.get(kind) ?? 0) + change);
  setCounts(cache, {
    unread: Math.max(0, counts.unread + delta.unread),
    unseen: Math.max(0, counts.unseen + delta.unseen),
    unreadByKind: [...kinds]
      .filter(([, unread]) => unread > 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([kind, unread]) => ({ kind, unread })),
  });
}

/** What a kind the viewer never received or set has (the server's defaults). */
export const defaultPreference: Omit<KindPreferenceFieldsFragment, 'kind'> = {
  inApp: true,
  push: true,
  desktop: true,
  sound: false,
  critical: false,
};

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Puts a kind's preference into the cached list of preferences, in kind order, once. */
function listPreference(cache: Cache, preference: KindPreferenceFieldsFragment | null | undefined) {
  if (!preference) return;
  cache.updateQuery({ query: NotificationPreferencesQuery }, (data) => {
    if (!data) return null;
    const others = data.notificationPreferences.filter((known) => known.kind !== preference.kind);
    return {
      ...data,
      notificationPreferences: [...others, { ...preference, __typename: 'KindPreference' as const }].sort((a, b) =>
        byName(a.kind, b.kind),
      ),
    };
  });
}

function changeTopics(cache: Cache, change: (topics: string[]) => string[]) {
  cache.updateQuery({ query: MyTopicsQuery }, (data) => (data ? { ...data, myTopics: change(data.myTopics) } : null));
}
