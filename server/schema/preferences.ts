import type { KindPreference as Preference } from '../realtime/events.ts';
import { builder } from './builder.ts';
import { may, requireViewer } from './context.ts';
import { answerStoreErrors, badUserInput, forbidden } from './errors.ts';
import { checkKind, checkTopic, checkUserIds } from './validation.ts';

export const KindPreference = builder.objectRef<Preference>('KindPreference').implement({
  description: 'What a user wants of one kind of notification.',
  fields: (t) => ({
    kind: t.exposeString('kind'),
    inApp: t.exposeBoolean('inApp', {
      description: 'false: notifications of this kind go straight to the archive, read and seen (default true).',
    }),
    push: t.exposeBoolean('push', { description: 'Web push when no tab is open (default true).' }),
    desktop: t.exposeBoolean('desktop', { description: 'Desktop notifications in the web client (default true).' }),
    sound: t.exposeBoolean('sound', { description: 'A sound with them (default false).' }),
    critical: t.exposeBoolean('critical', {
      description: 'One of TIDINGS_CRITICAL_KINDS (default security): it cannot be muted.',
    }),
  }),
});

builder.queryFields((t) => ({
  notificationPreferences: t.field({
    type: [KindPreference],
    description: "The viewer's preferences: one per kind they have received or set, in kind order.",
    resolve: (_root, _args, ctx) => ctx.notifications.preferences(requireViewer(ctx).userId),
  }),
  myTopics: t.stringList({
    description: 'The topics the viewer follows, in name order.',
    resolve: (_root, _args, ctx) => ctx.topics.of(requireViewer(ctx).userId),
  }),
}));

builder.mutationFields((t) => ({
  setNotificationPreference: t.field({
    type: KindPreference,
    description:
      'Changes the viewer’s preference for one kind: the settings given change, the others stay (NotificationPreferenceChanged on every tab). A critical kind cannot be muted.',
    args: {
      kind: t.arg.string({ required: true }),
      inApp: t.arg.boolean(),
      push: t.arg.boolean(),
      desktop: t.arg.boolean(),
      sound: t.arg.boolean(),
    },
    resolve: (_root, { kind, ...set }, ctx) => {
      const viewer = requireViewer(ctx);
      checkKind('kind', kind);
      if (set.inApp === false && ctx.notifications.isCritical(kind)) {
        throw badUserInput('inApp', `"${kind}" is a critical kind (TIDINGS_CRITICAL_KINDS): it cannot be muted.`);
      }
      return answerStoreErrors(ctx.notifications.setPreference(viewer.userId, { kind, ...set }));
    },
  }),
  subscribeToTopic: t.boolean({
    description: 'Follows a topic; true when the viewer was not following it yet.',
    args: { topic: t.arg.string({ required: true }) },
    resolve: async (_root, { topic }, ctx) => {
      const viewer = requireViewer(ctx);
      checkTopic(topic);
      return (await ctx.topics.add(topic, [viewer.userId])) === 1;
    },
  }),
  unsubscribeFromTopic: t.boolean({
    description: 'Stops following a topic; true when the viewer was following it.',
    args: { topic: t.arg.string({ required: true }) },
    resolve: async (_root, { topic }, ctx) => {
      const viewer = requireViewer(ctx);
      checkTopic(topic);
      return (await ctx.topics.remove(topic, [viewer.userId])) === 1;
    },
  }),
  addTopicMembers: t.int({
    description:
      'Makes these users follow a topic; how many were not following it yet. Admins and API keys with notify:any only; up to 10,000 ids, each an existing user.',
    args: { topic: t.arg.string({ required: true }), userIds: t.arg.idList({ required: true }) },
    resolve: async (_root, { topic, userIds }, ctx) => {
      const ids = operatorTopicChange(ctx, topic, userIds);
      const unknown = await ctx.topics.unknownUsers(ids);
      if (unknown.length > 0) {
        throw badUserInput(
          'userIds',
          `${unknown.length} ${unknown.length === 1 ? 'id names' : 'ids name'} no user: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}. Nothing was added.`,
        );
      }
      return ctx.topics.add(topic, ids);
    },
  }),
  removeTopicMembers: t.int({
    description:
      'Makes these users stop following a topic; how many were following it. Admins and API keys with notify:any only; up to 10,000 ids.',
    args: { topic: t.arg.string({ required: true }), userIds: t.arg.idList({ required: true }) },
    resolve: (_root, { topic, userIds }, ctx) => ctx.topics.remove(topic, operatorTopicChange(ctx, topic, userIds)),
  }),
}));

/** Checks an operator's change to a topic's members: who may make it, and its input. */
function operatorTopicChange(
  ctx: import('./context.ts').Context,
  topic: string,
  userIds: readonly (string | number)[],
) {
  if (!may(requireViewer(ctx), 'notify:any')) {
    throw forbidden('Only admins and API keys with the notify:any permission may change who follows a topic.');
  }
  checkTopic(topic);
  const ids = userIds.map(String);
  checkUserIds('userIds', ids);
  return ids;
}
