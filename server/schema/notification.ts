import { builder } from './builder.ts';
import { may, requireViewer } from './context.ts';
import { answerStoreErrors, badUserInput, forbidden } from './errors.ts';
import { checkText, limits, validNotification } from './validation.ts';

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
        ctx.prisma.notification.findMany({
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
      ctx.prisma.notification.count({ where: { recipientId: requireViewer(ctx).userId, readAt: null } }),
  }),
}));

const CreateNotificationInput = builder.inputType('CreateNotificationInput', {
  fields: (t) => ({
    recipientId: t.id({
      required: false,
      description:
        "The recipient's user id; the viewer when left out. Only admins and API keys with the notify:any permission may name someone else.",
    }),
    recipientEmail: t.string({
      required: false,
      description:
        "Instead of recipientId: the recipient's email address. Admins and API keys with the notify:any permission only.",
    }),
    title: t.string({ required: true, description: '1 to 200 characters.' }),
    body: t.string({ required: false, description: 'Up to 2,000 characters.' }),
    kind: t.string({
      required: false,
      description: 'Up to 64 letters, digits, dots, dashes or underscores; default "info".',
    }),
    url: t.string({ required: false, description: 'An absolute http or https URL.' }),
    data: t.field({
      type: 'JSON',
      required: false,
      description: `Any JSON, up to 8 KB, nested at most ${limits.dataDepth} arrays or objects deep.`,
    }),
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
    resolve: async (_root, { input: { recipientEmail, ...input } }, ctx) => {
      const viewer = requireViewer(ctx);
      checkText('recipientEmail', recipientEmail);
      checkText('recipientId', input.recipientId == null ? null : String(input.recipientId));
      if (recipientEmail != null && input.recipientId != null) {
        throw badUserInput('recipientEmail', 'Name the recipient by id or by email, not both.');
      }
      const recipientId =
        recipientEmail != null
          ? await recipientIdByEmail(ctx, recipientEmail)
          : input.recipientId
            ? String(input.recipientId)
            : viewer.userId;
      if (recipientId !== viewer.userId && !may(viewer, 'notify:any')) throw mayNotNotifyOthers();
      return answerStoreErrors(ctx.notifications.create(validNotification({ ...input, recipientId })));
    },
  }),
  markNotificationRead: t.field({
    type: Notification,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) =>
      answerStoreErrors(ctx.notifications.markRead(requireViewer(ctx).userId, checkedId(id))),
  }),
  markAllNotificationsRead: t.field({
    type: MarkAllNotificationsReadPayload,
    resolve: (_root, _args, ctx) => answerStoreErrors(ctx.notifications.markAllRead(requireViewer(ctx).userId)),
  }),
  deleteNotification: t.id({
    description: 'Deletes one of the viewer’s notifications and answers its id.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) =>
      answerStoreErrors(ctx.notifications.delete(requireViewer(ctx).userId, checkedId(id))),
  }),
}));

/** An id argument as text the database takes (see checkText). */
function checkedId(id: string | number): string {
  checkText('id', String(id));
  return String(id);
}

/**
 * Looks a recipient up by email. Only callers who may notify anyone learn whether an address has
 * an account: anyone else gets the same FORBIDDEN for every address, known or not.
 */
async function recipientIdByEmail(ctx: import('./context.ts').Context, email: string): Promise<string> {
  if (!may(requireViewer(ctx), 'notify:any')) throw mayNotNotifyOthers();
  const user = await ctx.prisma.user.findUnique({ where: { email: email.trim().toLowerCase() }, select: { id: true } });
  if (!user) throw badUserInput('recipientEmail', `No user has the email address ${email.trim()}.`);
  return user.id;
}

function mayNotNotifyOthers() {
  return forbidden('Only admins and API keys with the notify:any permission may notify other users.');
}
