import { requireViewer } from '../context.ts';
import { badUserInput, forbidden } from '../errors.ts';
import type { NewNotification } from '../notifications.ts';
import { builder } from './builder.ts';

export const Notification = builder.prismaObject('Notification', {
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.exposeString('kind', { description: 'A free-form category, such as "mention" (default "info").' }),
    title: t.exposeString('title'),
    body: t.exposeString('body', { nullable: true }),
    url: t.exposeString('url', { nullable: true, description: 'Where the notification leads (http or https).' }),
    data: t.expose('data', { type: 'JSON', nullable: true, description: 'Whatever the sender attached.' }),
    read: t.boolean({ resolve: (notification) => notification.readAt !== null }),
    readAt: t.expose('readAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    recipientId: t.exposeID('recipientId'),
  }),
});

builder.queryFields((t) => ({
  notifications: t.prismaConnection(
    {
      type: 'Notification',
      cursor: 'id',
      description: "The viewer's notifications, newest first.",
      defaultSize: 20,
      maxSize: 100,
      args: { unreadOnly: t.arg.boolean({ description: 'Only notifications not read yet.' }) },
      resolve: (query, _root, args, ctx) =>
        ctx.db.notification.findMany({
          ...query,
          where: { recipientId: requireViewer(ctx).userId, ...(args.unreadOnly ? { readAt: null } : {}) },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        }),
    },
    { name: 'NotificationConnection' },
    { name: 'NotificationEdge' },
  ),
  unreadNotificationCount: t.int({
    resolve: (_root, _args, ctx) =>
      ctx.db.notification.count({ where: { recipientId: requireViewer(ctx).userId, readAt: null } }),
  }),
}));

const CreateNotificationInput = builder.inputType('CreateNotificationInput', {
  fields: (t) => ({
    recipientId: t.id({
      required: false,
      description: "The recipient's user id; the viewer when left out. Only admins and API keys may name someone else.",
    }),
    title: t.string({ required: true, description: '1 to 200 characters.' }),
    body: t.string({ required: false, description: 'Up to 2,000 characters.' }),
    kind: t.string({
      required: false,
      description: 'Up to 64 letters, digits, dots, dashes or underscores; default "info".',
    }),
    url: t.string({ required: false, description: 'An absolute http or https URL.' }),
    data: t.field({ type: 'JSON', required: false, description: 'Any JSON, up to 8 KB.' }),
  }),
});

const MarkAllNotificationsReadPayload = builder
  .objectRef<{ readAt: Date; count: number }>('MarkAllNotificationsReadPayload')
  .implement({
    fields: (t) => ({
      readAt: t.expose('readAt', { type: 'DateTime' }),
      count: t.exposeInt('count', { description: 'How many notifications this marked read.' }),
    }),
  });

builder.mutationFields((t) => ({
  createNotification: t.field({
    type: Notification,
    args: { input: t.arg({ type: CreateNotificationInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const viewer = requireViewer(ctx);
      const recipientId = input.recipientId ? String(input.recipientId) : viewer.userId;
      if (recipientId !== viewer.userId && !viewer.privileged) {
        throw forbidden('Only admins and API keys may notify other users.');
      }
      return ctx.notifications.create(validNotification({ ...input, recipientId }));
    },
  }),
  markNotificationRead: t.field({
    type: Notification,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.notifications.markRead(requireViewer(ctx).userId, String(id)),
  }),
  markAllNotificationsRead: t.field({
    type: MarkAllNotificationsReadPayload,
    resolve: (_root, _args, ctx) => ctx.notifications.markAllRead(requireViewer(ctx).userId),
  }),
  deleteNotification: t.id({
    description: 'Deletes one of the viewer’s notifications and answers its id.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.notifications.delete(requireViewer(ctx).userId, String(id)),
  }),
}));

const limits = { title: 200, body: 2_000, kind: 64, url: 2_048, dataBytes: 8 * 1024 };

/** Checks a new notification against the input rules; a broken rule answers BAD_USER_INPUT naming its field. */
export function validNotification(input: {
  recipientId: string;
  title: string;
  body?: string | null;
  kind?: string | null;
  url?: string | null;
  data?: unknown;
}): NewNotification {
  const title = input.title.trim();
  if (title.length < 1 || [...title].length > limits.title) {
    throw badUserInput('title', `must be 1 to ${limits.title} characters.`);
  }
  if (input.body != null && [...input.body].length > limits.body) {
    throw badUserInput('body', `must be at most ${limits.body} characters.`);
  }
  if (input.kind != null && !/^[A-Za-z0-9._-]{1,64}$/.test(input.kind)) {
    throw badUserInput('kind', `must be 1 to ${limits.kind} letters, digits, dots, dashes or underscores.`);
  }
  if (input.url != null) checkUrl(input.url);
  if (input.data !== undefined && input.data !== null) {
    const size = Buffer.byteLength(JSON.stringify(input.data), 'utf8');
    if (size > limits.dataBytes) {
      throw badUserInput('data', `must be at most ${limits.dataBytes} bytes of JSON (got ${size}).`);
    }
  }
  return {
    recipientId: input.recipientId,
    title,
    body: input.body ?? null,
    kind: input.kind ?? null,
    url: input.url ?? null,
    data: (input.data ?? null) as NewNotification['data'],
  };
}

function checkUrl(url: string) {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || url.length > limits.url) {
    throw badUserInput('url', 'must be an absolute http:// or https:// URL.');
  }
}
