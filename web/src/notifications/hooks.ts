import type { CombinedError } from '@urql/core';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { useMutation, useQuery } from 'urql';
import type { NotificationFieldsFragment } from '../gql/graphql.ts';
import type { StreamEvent } from '../urql/cache.ts';
import {
  ArchiveNotificationMutation,
  ArchiveReadNotificationsMutation,
  DeleteNotificationMutation,
  MarkAllNotificationsReadMutation,
  MarkNotificationReadMutation,
  MarkNotificationsSeenMutation,
  MarkNotificationUnreadMutation,
  NotificationCountsQuery,
  NotificationsQuery,
  PerformNotificationActionMutation,
  SnoozeNotificationMutation,
  UnarchiveNotificationMutation,
  UnsnoozeNotificationMutation,
} from './documents.ts';
import { useNotificationsContext, useStreamEvents } from './NotificationsProvider.tsx';
import type { EndReason, StreamStatus } from './stream.ts';

export interface NotificationStreamHandle {
  status: StreamStatus;
  isConnected: boolean;
  /** When status is 'error': when the next attempt starts (ms since the epoch). */
  retryAt: number | null;
  /** Set once the session ended; the app should show sign-in. */
  ended: EndReason | null;
  /** Connect now (skipping any wait). */
  reconnect(): void;
  /** Close the stream until reconnect(). */
  disconnect(): void;
}

/** The browser's live notification stream: its status and its two controls. */
export function useNotificationStream(): NotificationStreamHandle {
  const { stream } = useNotificationsContext();
  const state = useSyncExternalStore(stream.subscribe, () => stream.state);
  const reconnect = useCallback(() => stream.reconnect(), [stream]);
  const disconnect = useCallback(() => stream.disconnect(), [stream]);
  return {
    status: state.status,
    isConnected: state.status === 'connected',
    retryAt: state.retryAt,
    ended: state.ended,
    reconnect,
    disconnect,
  };
}

export type Notification = NotificationFieldsFragment;

/** What a mutation of the hooks answers: nothing on success, the error when the server refused (the change is rolled back). */
export type MutationOutcome = Promise<{ error?: CombinedError }>;

export interface UseNotificationsOptions {
  /** Notifications per page (the server allows up to 100). */
  pageSize?: number;
  /** Only unread notifications. */
  unreadOnly?: boolean;
  /** Only these kinds. */
  kinds?: string[];
  /** The archive instead of the inbox. */
  archived?: boolean;
  /** The snoozed ones instead of the inbox. */
  snoozed?: boolean;
}

/**
 * Read queries only once the stream listens (or has failed): a query read before the stream
 * listened could miss an event committed in between, and that event would never come. Read after,
 * every event is in the answer or on its way through the stream (applying both is safe).
 */
export function useListening(): { pause: boolean; stream: NotificationStreamHandle } {
  const stream = useNotificationStream();
  const listening = useRef(false);
  if (stream.status !== 'connecting') listening.current = true;
  return { pause: !listening.current, stream };
}

/** The viewer's counts, exact after every event: `unseen` for the badge, `unread`, and unread by kind. */
export function useNotificationCounts() {
  const { pause } = useListening();
  const [counts] = useQuery({ query: NotificationCountsQuery, pause });
  const data = counts.data?.notificationCounts;
  return {
    unread: data?.unread ?? 0,
    unseen: data?.unseen ?? 0,
    unreadByKind: data?.unreadByKind ?? [],
    error: counts.error,
  };
}

/**
 * Every change a user can make to notifications. Each applies at once (optimistic) and is rolled
 * back if the server refuses; each resolves to `{}` or `{ error }`.
 */
export function useNotificationActions() {
  const [, markRead] = useMutation(MarkNotificationReadMutation);
  const [, markUnread] = useMutation(MarkNotificationUnreadMutation);
  const [, markAllRead] = useMutation(MarkAllNotificationsReadMutation);
  const [, markSeen] = useMutation(MarkNotificationsSeenMutation);
  const [, archive] = useMutation(ArchiveNotificationMutation);
  const [, unarchive] = useMutation(UnarchiveNotificationMutation);
  const [, archiveRead] = useMutation(ArchiveReadNotificationsMutation);
  const [, snooze] = useMutation(SnoozeNotificationMutation);
  const [, unsnooze] = useMutation(UnsnoozeNotificationMutation);
  const [, act] = useMutation(PerformNotificationActionMutation);
  const [, remove] = useMutation(DeleteNotificationMutation);
  return useMemo(
    () => ({
      markAsRead: (id: string): MutationOutcome => markRead({ id }).then(outcome),
      markAsUnread: (id: string): MutationOutcome => markUnread({ id }).then(outcome),
      markAllAsRead: (): MutationOutcome => markAllRead({}).then(outcome),
      markAllAsSeen: (): MutationOutcome => markSeen({}).then(outcome),
      archive: (id: string): MutationOutcome => archive({ id }).then(outcome),
      unarchive: (id: string): MutationOutcome => unarchive({ id }).then(outcome),
      archiveRead: (): MutationOutcome => archiveRead({}).then(outcome),
      snooze: (id: string, until: Date): MutationOutcome => snooze({ id, until: until.toISOString() }).then(outcome),
      unsnooze: (id: string): MutationOutcome => unsnooze({ id }).then(outcome),
      performAction: (id: string, actionId: string): MutationOutcome => act({ id, actionId }).then(outcome),
      deleteNotification: (id: string): MutationOutcome => remove({ id }).then(outcome),
    }),
    [markRead, markUnread, markAllRead, markSeen, archive, unarchive, archiveRead, snooze, unsnooze, act, remove],
  );
}

/**
 * The viewer's notifications, newest first, kept current by the stream (no polling), with the
 * actions a notification center needs. Mutations apply at once and roll back if refused.
 */
export function useNotifications({
  pageSize = 20,
  unreadOnly = false,
  kinds,
  archived = false,
  snoozed = false,
}: UseNotificationsOptions = {}) {
  const { pause, stream } = useListening();
  const [after, setAfter] = useState<string | null>(null);
  const variables = {
    first: pageSize,
    after,
    unreadOnly,
    ...(kinds ? { kinds } : {}),
    ...(archived ? { archived } : {}),
    ...(snoozed ? { snoozed } : {}),
  };
  const [page, refetch] = useQuery({ query: NotificationsQuery, variables, pause });
  const counts = useNotificationCounts();
  const actions = useNotificationActions();

  // While the next page loads, keep showing the pages already here.
  const shown = useRef(page.data);
  if (page.data) shown.current = page.data;
  const connection = shown.current?.notifications;

  // After a resync every cached page is refetched: start again from the first one.
  useStreamEvents(
    useCallback((event: StreamEvent) => {
      if (event.__typename === 'NotificationStreamResync') setAfter(null);
    }, []),
  );

  // A list that failed to load (the network was down) loads again once the stream is back.
  const failed = page.error !== undefined;
  useEffect(() => {
    if (stream.isConnected && failed) refetch({ requestPolicy: 'network-only' });
  }, [stream.isConnected, failed, refetch]);

  const notifications = useMemo(() => connection?.edges.map((edge) => edge.node) ?? [], [connection]);
  const hasMore = connection?.pageInfo.hasNextPage ?? false;
  const endCursor = connection?.pageInfo.endCursor ?? null;

  const loadMore = useCallback(() => {
    if (hasMore && endCursor && !page.fetching) setAfter(endCursor);
  }, [hasMore, endCursor, page.fetching]);

  return {
    notifications,
    unreadCount: counts.unread,
    unseenCount: counts.unseen,
    unreadByKind: counts.unreadByKind,
    hasUnread: counts.unread > 0,
    isLoading: (pause || page.fetching) && !shown.current,
    isLoadingMore: page.fetching && after !== null,
    error: page.error ?? counts.error,
    hasMore,
    loadMore,
    connectionStatus: stream.status,
    isConnected: stream.isConnected,
    ...actions,
  };
}

/** What a user should read of a failed request: the server's message, without urql's "[Network]" or "[GraphQL]". */
export function errorMessage(error: CombinedError): string {
  return error.graphQLErrors[0]?.message ?? error.networkError?.message ?? error.message.replace(/^\[\w+\] /, '');
}

function outcome({ error }: { error?: CombinedError }) {
  return error ? { error } : {};
}
