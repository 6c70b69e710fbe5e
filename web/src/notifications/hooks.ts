import type { CombinedError } from '@urql/core';
import { useCallback, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { useMutation, useQuery } from 'urql';
import type { NotificationFieldsFragment } from '../gql/graphql.ts';
import type { StreamEvent } from '../urql/cache.ts';
import {
  DeleteNotificationMutation,
  MarkAllNotificationsReadMutation,
  MarkNotificationReadMutation,
  NotificationsQuery,
  UnreadNotificationCountQuery,
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
}

/**
 * The viewer's notifications, newest first, kept current by the stream (no polling), with the
 * actions a notification center needs. Mutations apply at once and roll back if refused.
 */
export function useNotifications({ pageSize = 20, unreadOnly = false }: UseNotificationsOptions = {}) {
  const stream = useNotificationStream();
  const [after, setAfter] = useState<string | null>(null);
  // Read the lists only once the stream listens (or has failed): a list read before the stream
  // listened could miss an event committed in between, and that event would never come. Read
  // after, every event is in the list or on its way through the stream (applying both is safe).
  const listening = useRef(false);
  if (stream.status !== 'connecting') listening.current = true;
  const pause = !listening.current;
  const [page] = useQuery({ query: NotificationsQuery, variables: { first: pageSize, after, unreadOnly }, pause });
  const [count] = useQuery({ query: UnreadNotificationCountQuery, pause });
  const [, markRead] = useMutation(MarkNotificationReadMutation);
  const [, markAllRead] = useMutation(MarkAllNotificationsReadMutation);
  const [, remove] = useMutation(DeleteNotificationMutation);

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

  const notifications = useMemo(() => connection?.edges.map((edge) => edge.node) ?? [], [connection]);
  const hasMore = connection?.pageInfo.hasNextPage ?? false;
  const endCursor = connection?.pageInfo.endCursor ?? null;
  const unreadCount = count.data?.unreadNotificationCount ?? 0;

  const loadMore = useCallback(() => {
    if (hasMore && endCursor && !page.fetching) setAfter(endCursor);
  }, [hasMore, endCursor, page.fetching]);

  return {
    notifications,
    unreadCount,
    hasUnread: unreadCount > 0,
    isLoading: (pause || page.fetching) && !shown.current,
    isLoadingMore: page.fetching && after !== null,
    error: page.error ?? count.error,
    hasMore,
    loadMore,
    connectionStatus: stream.status,
    isConnected: stream.isConnected,
    markAsRead: useCallback((id: string): MutationOutcome => markRead({ id }).then(outcome), [markRead]),
    markAllAsRead: useCallback((): MutationOutcome => markAllRead({}).then(outcome), [markAllRead]),
    deleteNotification: useCallback((id: string): MutationOutcome => remove({ id }).then(outcome), [remove]),
  };
}

function outcome({ error }: { error?: CombinedError }) {
  return error ? { error } : {};
}
