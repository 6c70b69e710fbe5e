import type { InputFieldBuilder } from '@pothos/core';
import type { NotificationCounts as Counts } from '../realtime/events.ts';
import { actionsOf, shownWhere, type Update } from '../store/inbox.ts';
import { builder } from './builder.ts';
import { may, requireViewer, senderOf } from './context.ts';
import { answerStoreErrors, badUserInput, forbidden } from './errors.ts';
import { checkActionId, checkKinds, checkSnooze, checkText, limits, validNotification } from './validation.ts';

export const NotificationAction = builder
  .objectRef<{ id: string; label: string; url: string | null; primary: boolean }>('NotificationAction')
  .implement({
    description: 'A button on a notification.',
    fields: (t) => ({
      id: t.exposeString('id'),
      label: t.exposeString('label'),
      url: t.exposeString('url', { nullable: true, description: 'Where the button leads, if anywhere.' }),
      primary: t.exposeBoolean('primary', {
        description: 'Whether this is the main action (shown first and emphasised).',
      }),
    }),
  });

const KindCount = builder.objectRef<Counts['unreadByKind'][number]>('KindCount').implement({
  fields: (t) => ({
    kind: t.exposeString('kind'),
    unread: t.exposeInt('unread'),
  }),
});

export const NotificationCounts = builder.objectRef<Counts>('NotificationCounts').implement({
  description:
    'A user’s counts. Archived, snoozed and expired notifications are never counted; every unseen notification is also unread.',
  fields: (t) => ({
    unread: t.exposeInt('unread', { description: 'Notifications not read yet.' }),
    unseen: t.exposeInt('unseen', { description: 'Notifications not seen yet: the number on the bell.' }),
    unreadByKind: t.field({
      type: [KindCount],
      description: 'Unread notifications by kind, in kind order; kinds with none left out.',
      resolve: (counts) => counts.unreadByKind,
    }),
  }),
});

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
    createdAt: t.expose('createdAt', {
      type: 'DateTime',
      description: 'When it arrived; for a group, when its latest notification arrived.',
    }),
    recipientId: t.exposeID('recipientId'),
    seen: t.boolean({
      description: 'Whether the recipient has seen it (opened the bell, or read it).',
      resolve: (notification) => notification.seenAt !== null,
    }),
    seenAt: t.expose('seenAt', { type: 'DateTime', nullable: true }),
    archived: t.boolean({ resolve: (notification) => notification.archivedAt !== null }),
    archivedAt: t.expose('archivedAt', { type: 'DateTime', nullable: true }),
    snoozedUntil: t.expose('snoozedUntil', {
      type: 'DateTime',
      nullable: true,
      description: 'Hidden and uncounted until then; null when not snoozed.',
    }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it expires: it then disappears (NotificationExpired).',
    }),
    actions: t.field({ type: [NotificationAction], resolve: (notification) => actionsOf(notification) }),
    actedAt: t.expose('actedAt', { type: 'DateTime', nullable: true }),
    actionId: t.exposeString('actionId', { nullable: true, description: 'The action taken, if any.' }),
    groupKey: t.exposeString('groupKey', { nullable: true }),
    groupCount: t.exposeInt('groupCount', {
      description:
        'How many notifications this one stands for (creates with its groupKey fold into it while it is unread).',
    }),
  }),
});

builder.queryFields((t) => ({
  notifications: t.prismaConnection(
    {
      type: 'Notification',
      cursor: 'id',
      description:
        "The viewer's notifications, newest first. Archived and snoozed ones only when asked for; expired ones never.",
      defaultSize: 20,
      maxSize: 100,
      args: {
        unreadOnly: t.arg.boolean({ description: 'Only notifications not read yet.' }),
        kinds: t.arg.stringList({ description: 'Only notifications of these kinds (at most 50).' }),
        archived: t.arg.boolean({
          defaultValue: false,
          description: 'true: only archived notifications; false: archived ones left out.',
        }),
        snoozed: t.arg.boolean({
          defaultValue: false,
          description: 'true: only snoozed notifications; false: snoozed ones left out.',
        }),
      },
      resolve: (query, _root, args, ctx) => {
        checkKinds(args.kinds);
        return ctx.prisma.notification.findMany({
          ...query,
          where: {
            recipientId: requireViewer(ctx).userId,
            ...shownWhere,
            archivedAt: args.archived ? { not: null } : null,
            snoozedUntil: args.snoozed ? { not: null } : null,
            ...(args.unreadOnly ? { readAt: null } : {}),
            ...(args.kinds ? { kind: { in: args.kinds } } : {}),
          },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        });
      },
    },
    { name: 'NotificationConnection' },
    { name: 'NotificationEdge' },
  ),
  unreadNotificationCount: t.int({
    description: 'The same as notificationCounts.unread.',
    resolve: async (_root, _args, ctx) => (await ctx.notifications.counts(requireViewer(ctx).userId)).unread,
  }),
  notificationCounts: t.field({
    type: NotificationCounts,
    description: "The viewer's counts now (each event carries them as of that event).",
    resolve: (_root, _args, ctx) => ctx.notifications.counts(requireViewer(ctx).userId),
  }),
}));

const NotificationActionInput = builder.inputType('NotificationActionInput', {
  fields: (t) => ({
    id: t.string({
      required: true,
      description: `1 to ${limits.actionId} letters, digits, dots, dashes or underscores.`,
    }),
    label: t.string({ required: true, description: `1 to ${limits.actionLabel} characters.` }),
    url: t.string({ required: false, description: 'An absolute http or https URL.' }),
    primary: t.boolean({ required: false, description: 'Default false.' }),
  }),
});

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/** What a notification says, as both create inputs take it (the recipients are each input's own). */
export function contentFields(t: InputFieldBuilder<Types, 'InputObject'>) {
  return {
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
    actions: t.field({
      type: [NotificationActionInput],
      required: false,
      description: `Up to ${limits.actions} buttons, ids unique.`,
    }),
    expiresAt: t.field({
      type: 'DateTime',
      required: false,
      description: 'When it expires: in the future, at most a year ahead.',
    }),
    groupKey: t.string({
      required: false,
      description: `Up to ${limits.groupKey} characters. While the recipient has an unread notification with this key (not archived, snoozed or expired), this one folds into it: groupCount + 1, its content and time, same id, no new unread.`,
    }),
  };
}

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
    ...contentFields(t),
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

/** The payload of a mutation that changes many of the viewer's notifications at once. */
function bulkPayload<Field extends 'seenAt' | 'archivedAt'>(name: string, field: Field, what: string) {
  return builder.objectRef<Record<Field, Date> & { count: number }>(name).implement({
    fields: (t) => ({
      [field]: t.expose(field as never, { type: 'DateTime' }),
      count: t.exposeInt('count' as never, { description: `How many notifications this ${what}.` }),
    }),
  });
}

const MarkNotificationsSeenPayload = bulkPayload('MarkNotificationsSeenPayload', 'seenAt', 'marked seen');
const ArchiveReadNotificationsPayload = bulkPayload('ArchiveReadNotificationsPayload', 'archivedAt', 'archived');

builder.mutationFields((t) => {
  /** A mutation of one of the viewer's notifications that takes only its id. */
  const byId = (op: 'read' | 'unread' | 'archive' | 'unarchive' | 'unsnooze', description: string) =>
    t.field({
      type: Notification,
      description,
      args: { id: t.arg.id({ required: true }) },
      resolve: (_root, { id }, ctx) => updateOne(ctx, id, { op }),
    });
  return {
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
        const notification = { ...validNotification({ ...input, recipientId }), sender: senderOf(viewer) };
        return answerStoreErrors(ctx.notifications.create(notification));
      },
    }),
    markNotificationRead: byId('read', 'Marks one of the viewer’s notifications read (and seen).'),
    markNotificationUnread: byId('unread', 'Marks one of the viewer’s notifications unread again (it stays seen).'),
    markAllNotificationsRead: t.field({
      type: MarkAllNotificationsReadPayload,
      description: 'Marks every unread notification read (archived, snoozed and expired ones are left as they are).',
      resolve: (_root, _args, ctx) => answerStoreErrors(ctx.notifications.markAllRead(requireViewer(ctx).userId)),
    }),
    markNotificationsSeen: t.field({
      type: MarkNotificationsSeenPayload,
      description: 'Marks every unseen notification seen (what opening the bell does); unread ones stay unread.',
      resolve: (_root, _args, ctx) => answerStoreErrors(ctx.notifications.markAllSeen(requireViewer(ctx).userId)),
    }),
    archiveNotification: byId(
      'archive',
      'Moves one of the viewer’s notifications to the archive: out of the list and the counts.',
    ),
    unarchiveNotification: byId('unarchive', 'Brings one of the viewer’s notifications back from the archive.'),
    archiveReadNotifications: t.field({
      type: ArchiveReadNotificationsPayload,
      description: 'Archives every read notification.',
      resolve: (_root, _args, ctx) => answerStoreErrors(ctx.notifications.archiveRead(requireViewer(ctx).userId)),
    }),
    snoozeNotification: t.field({
      type: Notification,
      description: `Hides one of the viewer’s notifications until \`until\` (in the future, at most ${limits.snoozeDays} days ahead); it then comes back as it was (NotificationWoke).`,
      args: { id: t.arg.id({ required: true }), until: t.arg({ type: 'DateTime', required: true }) },
      resolve: (_root, { id, until }, ctx) => {
        checkSnooze(until);
        return updateOne(ctx, id, { op: 'snooze', until });
      },
    }),
    unsnoozeNotification: byId('unsnooze', 'Ends a snooze now (NotificationWoke).'),
    performNotificationAction: t.field({
      type: Notification,
      description:
        'Records that the viewer took one of the notification’s actions, and marks it read. The first action stands: a second answers the first.',
      args: { id: t.arg.id({ required: true }), actionId: t.arg.string({ required: true }) },
      resolve: (_root, { id, actionId }, ctx) => {
        checkActionId(actionId);
        return updateOne(ctx, id, { op: 'act', actionId });
      },
    }),
    deleteNotification: t.id({
      description: 'Deletes one of the viewer’s notifications and answers its id.',
      args: { id: t.arg.id({ required: true }) },
      resolve: (_root, { id }, ctx) =>
        answerStoreErrors(ctx.notifications.delete(requireViewer(ctx).userId, checkedId(id))),
    }),
  };
});

/** A change to one of the viewer's notifications; another user's id answers NOT_FOUND. */
function updateOne(ctx: import('./context.ts').Context, id: string | number, update: Update) {
  return answerStoreErrors(ctx.notifications.update(requireViewer(ctx).userId, checkedId(id), update));
}

/** An id argument as text the database takes (see checkText). */
function checkedId(id: string | number): string {
  checkText('id', String(id));
  return String(id);
}

/**
 * Looks a recipient up by email. Only callers who may notify anyone learn whether an address has
 * an account: anyone else gets the same FORBIDDEN for every address, known or not.
 */
export async function recipientIdByEmail(ctx: import('./context.ts').Context, email: string): Promise<string> {
  if (!may(requireViewer(ctx), 'notify:any')) throw mayNotNotifyOthers();
  const user = await ctx.prisma.user.findUnique({ where: { email: email.trim().toLowerCase() }, select: { id: true } });
  if (!user) throw badUserInput('recipientEmail', `No user has the email address ${email.trim()}.`);
  return user.id;
}

export function mayNotNotifyOthers() {
  return forbidden('Only admins and API keys with the notify:any permission may notify other users.');
}
