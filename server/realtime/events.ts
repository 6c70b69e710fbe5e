import type { Notification } from '../generated/prisma/sqlite/client.ts';

/**
 * A notification as events carry it: JSON-safe (ISO dates), so the same payload can be stored in
 * the event log and sent through Redis unchanged.
 */
export interface NotificationSnapshot {
  id: string;
  recipientId: string;
  kind: string;
  title: string;
  body: string | null;
  url: string | null;
  data: unknown;
  readAt: string | null;
  createdAt: string;
}

interface EventBase {
  /** The event's position in its user's event log, as an opaque string. */
  cursor: string;
  /** The user's unread count right after this event: the authority clients should show. */
  unreadCount: number;
}

/** The events a mutation appends to a user's event log and publishes. */
export type NotificationEventPayload =
  | (EventBase & { type: 'NotificationCreated'; notification: NotificationSnapshot })
  | (EventBase & { type: 'NotificationRead'; notification: NotificationSnapshot })
  | (EventBase & { type: 'NotificationDeleted'; notificationId: string })
  | (EventBase & { type: 'AllNotificationsRead'; readAt: string; count: number });

/** Events a stream makes itself: they are not logged, and carry the last cursor it delivered. */
export type StreamSignal =
  | (EventBase & { type: 'NotificationStreamReady'; at: string; replayed: number })
  | (EventBase & { type: 'NotificationStreamHeartbeat'; at: string })
  | (EventBase & { type: 'NotificationStreamResync'; at: string; reason: ResyncReason })
  | (EventBase & { type: 'NotificationStreamEnded'; at: string; reason: StreamEndReason });

/** Why the server ended a stream: the client must sign in again (or get a new key), not just reconnect. */
export type StreamEndReason = 'SESSION_EXPIRED' | 'SESSION_REVOKED' | 'API_KEY_REVOKED' | 'USER_BANNED';

/** Why a stream could not resume from the cursor it was given. */
export type ResyncReason = 'CURSOR_EXPIRED' | 'CURSOR_UNKNOWN';

/** Everything the `notificationEvents` subscription can yield. */
export type StreamEvent = NotificationEventPayload | StreamSignal;

/** Where streams hear their users' events (the pub/sub, pubsub.ts): all the stream registry needs of it. */
export interface EventSubscriber {
  /** Starts listening at once (not when a consumer first pulls, as Yoga's `subscribe` does). */
  listen(userId: string, onEvent: (event: NotificationEventPayload) => void): Listening;
}

export interface Listening {
  stop(): void;
  /** Resolves once the pub/sub confirms it is listening (at once in-process; a Redis SUBSCRIBE round trip otherwise). */
  ready: Promise<void>;
}

export function snapshotOf(notification: Notification): NotificationSnapshot {
  return {
    id: notification.id,
    recipientId: notification.recipientId,
    kind: notification.kind,
    title: notification.title,
    body: notification.body,
    url: notification.url,
    data: notification.data,
    readAt: notification.readAt?.toISOString() ?? null,
    createdAt: notification.createdAt.toISOString(),
  };
}

/** The notification row a snapshot was taken from, for the GraphQL `Notification` type. */
export function notificationOf(snapshot: NotificationSnapshot): Notification {
  return {
    ...snapshot,
    data: snapshot.data as Notification['data'],
    readAt: snapshot.readAt ? new Date(snapshot.readAt) : null,
    createdAt: new Date(snapshot.createdAt),
  };
}

/** Cursors are per-user sequence numbers; clients must treat them as opaque strings. */
export function encodeCursor(seq: number): string {
  return seq === 0 ? '' : String(seq);
}

/** The sequence number of a cursor, or null when it is not one Tidings issued. */
export function decodeCursor(cursor: string): number | null {
  if (cursor === '') return 0;
  if (!/^[1-9][0-9]{0,14}$/.test(cursor)) return null;
  return Number(cursor);
}
