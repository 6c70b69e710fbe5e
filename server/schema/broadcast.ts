import { usersWhoCanSignIn } from '../auth/credentials.ts';
import type { NewNotification } from '../store/notifications.ts';
import { builder } from './builder.ts';
import { type Context, may, requireViewer } from './context.ts';
import { answerStoreErrors, badUserInput } from './errors.ts';
import { contentFields, mayNotNotifyOthers } from './notification.ts';
import { checkText, checkTopic, checkUserIds, limits, validNotification } from './validation.ts';

const CreateNotificationsInput = builder.inputType('CreateNotificationsInput', {
  description:
    'One notification for many recipients: name exactly one of recipientIds, recipientEmails, topic or allUsers.',
  fields: (t) => ({
    recipientIds: t.idList({
      required: false,
      description: `Up to ${limits.recipients.toLocaleString('en')} user ids.`,
    }),
    recipientEmails: t.stringList({
      required: false,
      description: `Up to ${limits.recipients.toLocaleString('en')} email addresses of users.`,
    }),
    topic: t.string({ required: false, description: 'Everyone following this topic.' }),
    allUsers: t.boolean({
      required: false,
      description: 'true: every user who can sign in (not banned users, not the built-in service user).',
    }),
    ...contentFields(t),
  }),
});

const CreateNotificationsPayload = builder
  .objectRef<{ batchId: string; count: number; skipped: number }>('CreateNotificationsPayload')
  .implement({
    fields: (t) => ({
      batchId: t.exposeID('batchId', { description: 'Names this send (each notification it made carries it).' }),
      count: t.exposeInt('count', { description: 'Recipients whose notification arrived in-app.' }),
      skipped: t.exposeInt('skipped', {
        description: 'Recipients who muted its kind: theirs was stored in their archive, read and seen.',
      }),
    }),
  });

builder.mutationField('createNotifications', (t) =>
  t.field({
    type: CreateNotificationsPayload,
    description:
      'Sends one notification to many users, each their own, with their own event, cursor and counts. Admins and API keys with the notify:any permission only.',
    args: { input: t.arg({ type: CreateNotificationsInput, required: true }) },
    resolve: async (_root, { input: { recipientIds, recipientEmails, topic, allUsers, ...content } }, ctx) => {
      const viewer = requireViewer(ctx);
      if (!may(viewer, 'notify:any')) throw mayNotNotifyOthers();
      const named = [
        recipientIds != null && 'recipientIds',
        recipientEmails != null && 'recipientEmails',
        topic != null && 'topic',
        allUsers === true && 'allUsers',
      ].filter((field): field is string => field !== false);
      if (named.length !== 1) {
        throw badUserInput(
          named[1] ?? 'recipientIds',
          'name exactly one of recipientIds, recipientEmails, topic or allUsers: true.',
        );
      }
      // The content's rules are a single notification's (the recipient is checked below).
      const { recipientId: _, ...checked } = validNotification({ ...content, recipientId: viewer.userId });
      const recipients = await recipientsOf(ctx, { recipientIds, recipientEmails, topic });
      return answerStoreErrors(
        ctx.notifications.createMany(checked as Omit<NewNotification, 'recipientId'>, recipients),
      );
    },
  }),
);

/** The users a send names: all existing (else BAD_USER_INPUT naming the field and the first few unknown). */
async function recipientsOf(
  ctx: Context,
  target: {
    recipientIds?: readonly (string | number)[] | null;
    recipientEmails?: readonly string[] | null;
    topic?: string | null;
  },
): Promise<string[]> {
  if (target.recipientIds != null) {
    const ids = target.recipientIds.map(String);
    checkUserIds('recipientIds', ids);
    refuseUnknown('recipientIds', await ctx.topics.unknownUsers(ids));
    return ids;
  }
  if (target.recipientEmails != null) {
    const emails = [...new Set(target.recipientEmails.map((email) => email.trim().toLowerCase()))];
    checkUserIds('recipientEmails', emails);
    for (const email of emails) checkText('recipientEmails', email);
    const found = new Map<string, string>();
    for (let i = 0; i < emails.length; i += 1_000) {
      const users = await ctx.prisma.user.findMany({
        where: { email: { in: emails.slice(i, i + 1_000) } },
        select: { id: true, email: true },
      });
      for (const user of users) found.set(user.email, user.id);
    }
    refuseUnknown(
      'recipientEmails',
      emails.filter((email) => !found.has(email)),
    );
    return [...found.values()];
  }
  if (target.topic != null) {
    checkTopic(target.topic);
    return ctx.topics.members(target.topic);
  }
  return usersWhoCanSignIn({ prisma: ctx.prisma });
}

function refuseUnknown(field: string, unknown: string[]) {
  if (unknown.length === 0) return;
  const names = `${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}`;
  throw badUserInput(field, `${unknown.length} of them name no user (${names}). Nothing was sent.`);
}
