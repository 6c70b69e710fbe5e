import type { Notification } from '../generated/prisma/sqlite/client.ts';

/** A button on a notification. */
export interface NotificationAction {
  id: string;
  label: string;
  url: string | null;
  primary: boolean;
}

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
  seenAt: string | null;
  archivedAt: string | null;
  snoozedUntil: string | null;
  expiresAt: string | null;
  actions: NotificationAction[];
  actedAt: string | null;
  actionId: string | null;
  groupKey: string | null;
  groupCount: number;
}

/** What a user wants of one kind of notification, as events carry it. */
export interface KindPreference {
  kind: string;
  inApp: boolean;
  push: boolean;
  desktop: boolean;
  sound: boolean;
  /** A kind of TIDINGS_CRITICAL_KINDS: it cannot be muted (inApp stays true). */
  critical: boolean;
}

/** A user's counts: the notifications not archived, not snoozed and not expired that are unread, or unseen. */
export interface NotificationCounts {
  unread: number;
  unseen: number;
  /** Unread by kind, in kind order; kinds with none left out. */
  unreadByKind: { kind: string; unread: number }[];
}

export const noCounts: NotificationCounts = Object.freeze({
  unread: 0,
  unseen: 0,
  unreadByKind: [],
}) as NotificationCounts;

interface EventBase {
  /** The event's position in its user's event log, as an opaque string. */
  cursor: string;
  /** The user's unread count right after this event (counts.unread): the authority clients should show. */
  unreadCount: number;
  /** The user's counts right after this event. */
  counts: NotificationCounts;
}

type WithNotification<T extends string> = EventBase & { type: T; notification: NotificationSnapshot };

/** The events a mutation (or a snooze or expiry coming due) appends to a user's event log and publishes. */
export type NotificationEventPayload =
  | WithNotification<'NotificationCreated'>
  | WithNotification<'NotificationRead'>
  | WithNotification<'NotificationUnread'>
  | WithNotification<'NotificationArchived'>
  | WithNotification<'NotificationUnarchived'>
  | WithNotification<'NotificationSnoozed'>
  | WithNotification<'NotificationWoke'>
  | WithNotification<'NotificationActed'>
  | (EventBase & { type: 'NotificationExpired'; notificationId: string })
  | (EventBase & { type: 'NotificationDeleted'; notificationId: string })
  | (EventBase & { type: 'AllNotificationsRead'; readAt: string; count: number })
  | (EventBase & { type: 'NotificationsSeen'; seenAt: string; count: number })
  | (EventBase & { type: 'ReadNotificationsArchived'; archivedAt: string; count: number })
  | (EventBase & { type: 'NotificationPreferenceChanged'; preference: KindPreference });

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
    readAt: iso(notification.readAt),
    createdAt: notification.createdAt.toISOString(),
    seenAt: iso(notification.seenAt),
    archivedAt: iso(notification.archivedAt),
    snoozedUntil: iso(notification.snoozedUntil),
    expiresAt: iso(notification.expiresAt),
    actions: (notification.actions ?? []) as unknown as NotificationAction[],
    actedAt: iso(notification.actedAt),
    actionId: notification.actionId,
    groupKey: notification.groupKey,
    groupCount: notification.groupCount,
  };
}

function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

function date(text: string | null | undefined): Date | null {
  return text ? new Date(text) : null;
}

/**
 * The notification row a snapshot was taken from, for the GraphQL `Notification` type. Events
 * logged before the inbox states existed lack their fields: a read one was seen, none was archived,
 * snoozed, grouped or acted on.
 */
export function notificationOf(snapshot: NotificationSnapshot): Notification {
  const actions = snapshot.actions ?? [];
  return {
    id: snapshot.id,
    recipientId: snapshot.recipientId,
    kind: snapshot.kind,
    title: snapshot.title,
    body: snapshot.body,
    url: snapshot.url,
    data: snapshot.data as Notification['data'],
    readAt: date(snapshot.readAt),
    createdAt: new Date(snapshot.createdAt),
    seenAt: date(snapshot.seenAt ?? snapshot.readAt),
    archivedAt: date(snapshot.archivedAt),
    snoozedUntil: date(snapshot.snoozedUntil),
    expiresAt: date(snapshot.expiresAt),
    expiredAt: null,
    actions: actions.length === 0 ? null : (actions as unknown as Notification['actions']),
    actedAt: date(snapshot.actedAt),
    actionId: snapshot.actionId ?? null,
    groupKey: snapshot.groupKey ?? null,
    groupCount: snapshot.groupCount ?? 1,
    // Senders' bookkeeping: events do not carry it.
    batchId: null,
  };
}

/** An event's counts; events logged before counts existed carry only their unread count. */
export function countsOf(event: { unreadCount: number; counts?: NotificationCounts }): NotificationCounts {
  return event.counts ?? { unread: event.unreadCount, unseen: event.unreadCount, unreadByKind: [] };
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
