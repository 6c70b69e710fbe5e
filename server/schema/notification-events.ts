import { countsOf, notificationOf, type StreamEvent } from '../realtime/events.ts';
import { builder } from './builder.ts';
import { may, requireViewer } from './context.ts';
import { forbidden, fromRealtime } from './errors.ts';
import { Notification, NotificationCounts } from './notification.ts';
import { KindPreference } from './preferences.ts';

type EventOf<T extends StreamEvent['type']> = Extract<StreamEvent, { type: T }>;

const NotificationEvent = builder.interfaceRef<StreamEvent>('NotificationEvent').implement({
  description: "One event on a user's notification stream.",
  resolveType: (event) => event.type,
  fields: (t) => ({
    cursor: t.exposeString('cursor', {
      description:
        "The event's position in the user's event log (opaque). Ready and Heartbeat carry the cursor of the last event the stream delivered; empty when the user has no events yet.",
    }),
    unreadCount: t.exposeInt('unreadCount', {
      description: "The user's unread count after this event (the same as counts.unread).",
    }),
    counts: t.field({
      type: NotificationCounts,
      description:
        "The user's counts right after this event, as they were when it was logged (a replay carries them as they were).",
      resolve: (event) => countsOf(event),
    }),
  }),
});

function eventType<T extends StreamEvent['type']>(
  name: T,
  description: string,
  fields: Parameters<ReturnType<typeof builder.objectRef<EventOf<T>>>['implement']>[0]['fields'],
) {
  return builder.objectRef<EventOf<T>>(name).implement({
    description,
    interfaces: [NotificationEvent],
    isTypeOf: (event) => (event as StreamEvent).type === name,
    fields,
  });
}

/** An event that carries the notification it changed, as the change left it. */
function notificationEvent(name: Extract<StreamEvent, { notification: unknown }>['type'], description: string) {
  eventType(name, description, (t) => ({
    notification: t.field({ type: Notification, resolve: (event) => notificationOf(event.notification) }),
  }));
}

notificationEvent(
  'NotificationCreated',
  'A notification arrived; or, for a groupKey the user has an unread notification of, that one grew (same id, groupCount + 1).',
);
notificationEvent('NotificationRead', 'A notification was marked read.');
notificationEvent('NotificationUnread', 'A notification was marked unread again.');
notificationEvent('NotificationArchived', 'A notification was archived.');
notificationEvent('NotificationUnarchived', 'A notification came back from the archive.');
notificationEvent('NotificationSnoozed', 'A notification was snoozed until its snoozedUntil.');
notificationEvent(
  'NotificationWoke',
  'A snooze ended (or was ended): the notification is back, read or unread as it was.',
);
notificationEvent('NotificationActed', 'The recipient took one of the notification’s actions (actionId); it is read.');

eventType('NotificationExpired', 'A notification reached its expiresAt: it is gone from lists and counts.', (t) => ({
  notificationId: t.exposeID('notificationId'),
}));

eventType('NotificationDeleted', 'A notification was deleted.', (t) => ({
  notificationId: t.exposeID('notificationId'),
}));

eventType('AllNotificationsRead', 'Every unread notification was marked read.', (t) => ({
  readAt: t.field({ type: 'DateTime', resolve: (event) => event.readAt }),
  count: t.exposeInt('count', { description: 'How many notifications this marked read.' }),
}));

eventType('NotificationsSeen', 'Every unseen notification was marked seen (the bell was opened).', (t) => ({
  seenAt: t.field({ type: 'DateTime', resolve: (event) => event.seenAt }),
  count: t.exposeInt('count', { description: 'How many notifications this marked seen.' }),
}));

eventType('ReadNotificationsArchived', 'Every read notification was archived.', (t) => ({
  archivedAt: t.field({ type: 'DateTime', resolve: (event) => event.archivedAt }),
  count: t.exposeInt('count', { description: 'How many notifications this archived.' }),
}));

eventType(
  'NotificationPreferenceChanged',
  'The user changed what they want of a kind: every tab shows the same settings.',
  (t) => ({
    preference: t.field({ type: KindPreference, resolve: (event) => event.preference }),
  }),
);

eventType('NotificationStreamReady', 'Sent once the stream is listening, after any replay.', (t) => ({
  at: t.field({ type: 'DateTime', resolve: (event) => event.at }),
  replayed: t.exposeInt('replayed', {
    description: 'How many events were replayed from the log before this one (0 without `after`).',
  }),
  heartbeatMs: t.int({
    description:
      'How often this stream sends NotificationStreamHeartbeat (TIDINGS_HEARTBEAT_MS). Clients treat 2.5 times this with nothing received as a dead stream.',
    resolve: (_event, _args, ctx) => ctx.streams.heartbeatMs,
  }),
}));

eventType('NotificationStreamHeartbeat', 'Sent every TIDINGS_HEARTBEAT_MS: the stream is alive.', (t) => ({
  at: t.field({ type: 'DateTime', resolve: (event) => event.at }),
}));

/** An event that says why the stream did something: its time, and a reason from `values`. */
function reasonEvent(
  name: 'NotificationStreamResync' | 'NotificationStreamEnded',
  description: string,
  reason: { name: string; values: Record<string, { description: string }> },
) {
  const Reason = builder.enumType(reason.name, { values: reason.values });
  eventType(name, description, (t) => ({
    at: t.field({ type: 'DateTime', resolve: (event) => event.at }),
    reason: t.field({ type: Reason, resolve: (event) => event.reason }),
  }));
}

reasonEvent(
  'NotificationStreamResync',
  'The stream could not replay from the cursor it was given: refetch your lists, then carry on from this cursor.',
  {
    name: 'NotificationStreamResyncReason',
    values: {
      CURSOR_EXPIRED: {
        description: 'The events after the cursor are older than the retention period and were pruned.',
      },
      CURSOR_UNKNOWN: { description: 'The cursor is not one this server issued for this user.' },
    },
  },
);

reasonEvent(
  'NotificationStreamEnded',
  'The last event of a stream whose credentials ended. Do not reconnect with the same credentials.',
  {
    name: 'NotificationStreamEndReason',
    values: {
      SESSION_EXPIRED: { description: 'The session ran out: sign in again.' },
      SESSION_REVOKED: { description: 'The session was signed out: sign in again.' },
      API_KEY_REVOKED: { description: 'The API key was deleted, disabled or expired.' },
      USER_BANNED: { description: 'An admin banned the user: neither their sessions nor their API keys are accepted.' },
    },
  },
);

builder.subscriptionField('notificationEvents', (t) =>
  t.field({
    type: NotificationEvent,
    description:
      "The viewer's notification events, live. With `after` (or an SSE Last-Event-ID), the events after that cursor are replayed first; NotificationStreamReady follows the replay.",
    args: {
      after: t.arg.string({
        description:
          'Resume after this cursor. Over distinct-connection SSE the Last-Event-ID header or a lastEventId query parameter does the same.',
      }),
    },
    subscribe: (_root, { after }, ctx) => {
      const viewer = requireViewer(ctx);
      return ctx.streams
        .open(viewer.userId, {
          after: after ?? ctx.lastEventId,
          credential: viewer.credential,
          buffer: ctx.transport.buffer,
          signal: ctx.transport.signal,
          reservation: ctx.transport.reservation,
        })
        .catch((error: unknown) => {
          throw fromRealtime(error);
        });
    },
    resolve: (event) => event,
  }),
);

const UserConnectionCount = builder
  .objectRef<{ userId: string; connectionCount: number }>('UserConnectionCount')
  .implement({
    fields: (t) => ({
      userId: t.exposeID('userId'),
      connectionCount: t.exposeInt('connectionCount'),
    }),
  });

builder.queryField('notificationStreamStats', (t) =>
  t.field({
    type: builder.objectRef<ReturnType<Context['streams']['stats']>>('NotificationStreamStats').implement({
      description: 'Open notification streams on this server.',
      fields: (s) => ({
        totalConnections: s.exposeInt('totalConnections'),
        activeUsers: s.exposeInt('activeUsers', { description: 'Users with at least one open stream.' }),
        connectionsPerUser: s.field({ type: [UserConnectionCount], resolve: (stats) => stats.connectionsPerUser }),
      }),
    }),
    description: 'Admins and API keys with the stats:read permission only.',
    resolve: (_root, _args, ctx) => {
      if (!may(requireViewer(ctx), 'stats:read')) {
        throw forbidden('Only admins and API keys with the stats:read permission may read stream statistics.');
      }
      return ctx.pubsub.clusterStats(ctx.streams.stats());
    },
  }),
);

type Context = import('./context.ts').Context;
