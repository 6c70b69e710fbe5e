import { requireViewer } from '../context.ts';
import { forbidden } from '../errors.ts';
import { notificationOf, type StreamEvent } from '../events.ts';
import { builder } from './builder.ts';
import { Notification } from './notification.ts';

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
      description: "The user's unread count after this event: the number to show.",
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

eventType('NotificationCreated', 'A notification arrived.', (t) => ({
  notification: t.field({ type: Notification, resolve: (event) => notificationOf(event.notification) }),
}));

eventType('NotificationRead', 'A notification was marked read.', (t) => ({
  notification: t.field({ type: Notification, resolve: (event) => notificationOf(event.notification) }),
}));

eventType('NotificationDeleted', 'A notification was deleted.', (t) => ({
  notificationId: t.exposeID('notificationId'),
}));

eventType('AllNotificationsRead', 'Every unread notification was marked read.', (t) => ({
  readAt: t.field({ type: 'DateTime', resolve: (event) => event.readAt }),
  count: t.exposeInt('count', { description: 'How many notifications this marked read.' }),
}));

eventType('NotificationStreamReady', 'The first event of every stream: it is listening.', (t) => ({
  at: t.field({ type: 'DateTime', resolve: (event) => event.at }),
}));

eventType(
  'NotificationStreamHeartbeat',
  'Sent every TIDINGS_HEARTBEAT_MS while nothing else is: the stream is alive.',
  (t) => ({
    at: t.field({ type: 'DateTime', resolve: (event) => event.at }),
  }),
);

builder.subscriptionField('notificationEvents', (t) =>
  t.field({
    type: NotificationEvent,
    description:
      "The viewer's notification events, live: NotificationStreamReady first, then every change, and a heartbeat while quiet.",
    subscribe: (_root, _args, ctx) => ctx.streams.open(requireViewer(ctx).userId),
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
    description: 'Admins and API keys only.',
    resolve: (_root, _args, ctx) => {
      if (!requireViewer(ctx).privileged) throw forbidden('Only admins and API keys may read stream statistics.');
      return ctx.streams.stats();
    },
  }),
);

type Context = import('../context.ts').Context;
