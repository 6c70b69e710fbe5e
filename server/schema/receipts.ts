import type { Notification } from '../generated/prisma/sqlite/client.ts';
import { builder } from './builder.ts';
import { requireViewer, senderOf } from './context.ts';
import { badUserInput } from './errors.ts';
import { checkText } from './validation.ts';

/**
 * Receipts for senders: what became of the notifications a user or an API key sent (createNotification
 * or createNotifications). Only their sender sees them: a session sees what its user sent from a
 * session, an API key what that key sent.
 */

const SentNotification = builder.objectRef<Notification>('SentNotification').implement({
  description: 'What became of a notification you sent.',
  fields: (t) => ({
    id: t.exposeID('id'),
    recipientId: t.exposeID('recipientId'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    seenAt: t.expose('seenAt', { type: 'DateTime', nullable: true }),
    readAt: t.expose('readAt', { type: 'DateTime', nullable: true }),
    actedAt: t.expose('actedAt', { type: 'DateTime', nullable: true }),
    actionId: t.exposeString('actionId', { nullable: true }),
    archivedAt: t.expose('archivedAt', { type: 'DateTime', nullable: true }),
    deleted: t.boolean({
      description: 'The recipient deleted it.',
      resolve: (notification) => notification.deletedAt !== null,
    }),
  }),
});

const SentNotificationEdge = builder
  .objectRef<{ cursor: string; node: Notification }>('SentNotificationEdge')
  .implement({
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      node: t.field({ type: SentNotification, resolve: (edge) => edge.node }),
    }),
  });

type Totals = { total: number; seen: number; read: number; acted: number };

const SentTotals = builder.objectRef<Totals>('SentTotals').implement({
  description: 'Over every notification asked for, not only this page.',
  fields: (t) => ({
    total: t.exposeInt('total'),
    seen: t.exposeInt('seen'),
    read: t.exposeInt('read'),
    acted: t.exposeInt('acted'),
  }),
});

const SentNotifications = builder
  .objectRef<{
    edges: { cursor: string; node: Notification }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
    totals: Totals;
  }>('SentNotifications')
  .implement({
    fields: (t) => ({
      edges: t.field({ type: [SentNotificationEdge], resolve: (page) => page.edges }),
      pageInfo: t.field({ type: builder.pageInfoRef(), resolve: (page) => page.pageInfo }),
      totals: t.field({ type: SentTotals, resolve: (page) => page.totals }),
    }),
  });

const maxIds = 100;
const maxPage = 100;

builder.queryField('sentNotifications', (t) =>
  t.field({
    type: SentNotifications,
    description: `Receipts for notifications you sent: name exactly one of \`ids\` (up to ${maxIds}) or \`batchId\` (a createNotifications answer). Pages by \`first\` (default 20, at most ${maxPage}) and \`after\`, in id order.`,
    args: {
      ids: t.arg.idList(),
      batchId: t.arg.id(),
      first: t.arg.int(),
      after: t.arg.string(),
    },
    resolve: async (_root, { ids, batchId, first, after }, ctx) => {
      const sender = senderOf(requireViewer(ctx));
      if ((ids == null) === (batchId == null)) throw badUserInput('ids', 'name exactly one of ids or batchId.');
      if (ids != null && (ids.length === 0 || ids.length > maxIds)) {
        throw badUserInput('ids', `must name 1 to ${maxIds} notifications.`);
      }
      const take = first ?? 20;
      if (!Number.isInteger(take) || take < 1 || take > maxPage) {
        throw badUserInput('first', `must be 1 to ${maxPage}.`);
      }
      for (const id of ids ?? []) checkText('ids', String(id));
      checkText('batchId', batchId == null ? null : String(batchId));
      checkText('after', after);
      const chosen = ids != null ? ids.map(String) : undefined;
      const where = { sender, ...(chosen ? { id: { in: chosen } } : { batchId: String(batchId) }) };
      const [rows, total, seen, read, acted] = await Promise.all([
        ctx.prisma.notification.findMany({
          where: after ? { ...where, id: { ...(chosen ? { in: chosen } : {}), gt: after } } : where,
          orderBy: { id: 'asc' },
          take: take + 1,
        }),
        ctx.prisma.notification.count({ where }),
        ctx.prisma.notification.count({ where: { ...where, seenAt: { not: null } } }),
        ctx.prisma.notification.count({ where: { ...where, readAt: { not: null } } }),
        ctx.prisma.notification.count({ where: { ...where, actedAt: { not: null } } }),
      ]);
      const page = rows.slice(0, take);
      return {
        edges: page.map((node) => ({ cursor: node.id, node })),
        pageInfo: {
          hasNextPage: rows.length > take,
          hasPreviousPage: Boolean(after),
          startCursor: page[0]?.id ?? null,
          endCursor: page.at(-1)?.id ?? null,
        },
        totals: { total, seen, read, acted },
      };
    },
  }),
);
