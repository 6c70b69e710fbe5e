import type { Notification } from '../generated/prisma/sqlite/client.ts';
import type { NotificationAction, NotificationCounts } from '../realtime/events.ts';
import { NotFound, type StoreError, UnknownAction } from './errors.ts';

/**
 * The rules of the inbox, written once for both engines: what each change to one notification
 * does to it, and how a user's counts follow. The event log (event-log.ts) applies them inside its
 * transaction, to the rows it read after taking the user's lock, so they need no SQL of their own.
 *
 * A notification is *hidden* while it is archived, snoozed (until its snooze ends) or expired (once
 * its NotificationExpired event was logged). `unread` counts the notifications that are not hidden
 * and not read; `unseen` those that are not hidden and not seen. Reading a notification also makes
 * it seen, so every unseen one is unread. An expired notification is gone: every change but
 * delete answers NotFound (and its snooze never ends). A deleted one is gone for good: every
 * change answers NotFound.
 */

/** A change to one notification. */
export type Update =
  | { op: 'read' }
  | { op: 'unread' }
  | { op: 'archive' }
  | { op: 'unarchive' }
  | { op: 'snooze'; until: Date }
  | { op: 'unsnooze' }
  /** The snooze came due (the timer's change): ends it only if it is due by the change's time. */
  | { op: 'wake' }
  | { op: 'act'; actionId: string }
  /** The expiry came due (the timer's change). */
  | { op: 'expire' };

export type UpdateOp = Update['op'];

/** The event each update logs when it changes something. */
export const eventOfUpdate = {
  read: 'NotificationRead',
  unread: 'NotificationUnread',
  archive: 'NotificationArchived',
  unarchive: 'NotificationUnarchived',
  snooze: 'NotificationSnoozed',
  unsnooze: 'NotificationWoke',
  wake: 'NotificationWoke',
  act: 'NotificationActed',
  expire: 'NotificationExpired',
} as const satisfies Record<UpdateOp, string>;

/** What an update does to a notification: the row after it, nothing (it is so already), or a refusal. */
export type Transition = { after: Notification } | { unchanged: true } | { error: StoreError };

export function transition(update: Update, row: Notification, at: Date): Transition {
  const changed = (after: Partial<Notification>): Transition => ({ after: { ...row, ...after } });
  const unchanged: Transition = { unchanged: true };
  if (row.deletedAt !== null) return update.op === 'expire' || update.op === 'wake' ? unchanged : gone(row);
  if (row.expiredAt !== null && update.op !== 'expire') return gone(row);
  switch (update.op) {
    case 'read':
      return row.readAt ? unchanged : changed({ readAt: at, seenAt: row.seenAt ?? at });
    case 'unread':
      return row.readAt ? changed({ readAt: null }) : unchanged;
    case 'archive':
      return row.archivedAt ? unchanged : changed({ archivedAt: at });
    case 'unarchive':
      return row.archivedAt ? changed({ archivedAt: null }) : unchanged;
    case 'snooze':
      return row.snoozedUntil?.getTime() === update.until.getTime()
        ? unchanged
        : changed({ snoozedUntil: update.until });
    case 'unsnooze':
      return row.snoozedUntil ? changed({ snoozedUntil: null }) : unchanged;
    case 'wake':
      return row.snoozedUntil && row.snoozedUntil <= at ? changed({ snoozedUntil: null }) : unchanged;
    case 'act': {
      if (!actionsOf(row).some((action) => action.id === update.actionId)) {
        return { error: new UnknownAction(row.id, update.actionId) };
      }
      // The first action stands: a second one answers it.
      if (row.actedAt) return unchanged;
      return changed({ actedAt: at, actionId: update.actionId, readAt: row.readAt ?? at, seenAt: row.seenAt ?? at });
    }
    case 'expire':
      return row.expiredAt === null && row.expiresAt && row.expiresAt <= at ? changed({ expiredAt: at }) : unchanged;
  }
}

/**
 * A create folded into `group`, the recipient's unread notification with the same key: the group
 * takes the new notification's content and time (so it moves to the top), counts one more, and is
 * unseen again. It keeps its id.
 */
export function folded(group: Notification, incoming: Notification): Notification {
  return {
    ...group,
    kind: incoming.kind,
    title: incoming.title,
    body: incoming.body,
    url: incoming.url,
    data: incoming.data,
    actions: incoming.actions,
    expiresAt: incoming.expiresAt,
    createdAt: incoming.createdAt,
    seenAt: null,
    groupCount: group.groupCount + 1,
  };
}

function gone(row: Notification): Transition {
  return { error: new NotFound('notification', row.id) };
}

/**
 * A notification its recipient deleted: gone from every list and count, its content blanked, the
 * row kept for its sender's receipt (retention prunes it).
 */
export function deleted(row: Notification, at: Date): Notification {
  return { ...row, deletedAt: at, title: '', body: null, url: null, data: null, actions: null };
}

export function actionsOf(row: Notification): NotificationAction[] {
  return (row.actions ?? []) as unknown as NotificationAction[];
}

/**
 * The columns that hide a notification from the list, the counts and the bulk changes while set:
 * archived, snoozed, expired, deleted. The one statement of the rule: `isHidden` for a row,
 * `shownSql` for the engines' statements, `shownWhere` for Prisma's reads.
 */
export const hidingColumns = ['archivedAt', 'snoozedUntil', 'expiredAt', 'deletedAt'] as const;

export function isHidden(row: Notification): boolean {
  return hidingColumns.some((column) => row[column] !== null);
}

/** `isHidden` negated, as SQL both engines run; `alias` qualifies the columns (`n.`). */
export function shownSql(alias = ''): string {
  return hidingColumns.map((column) => `${alias}"${column}" IS NULL`).join(' AND ');
}

/** `isHidden` negated, as a Prisma `where`. */
export const shownWhere = Object.fromEntries(hidingColumns.map((column) => [column, null])) as Record<
  (typeof hidingColumns)[number],
  null
>;

/** One user's counts while a batch changes them. */
export class Tally {
  unread = 0;
  unseen = 0;
  readonly #byKind = new Map<string, number>();

  constructor(counts?: NotificationCounts) {
    if (!counts) return;
    this.unread = counts.unread;
    this.unseen = counts.unseen;
    for (const { kind, unread } of counts.unreadByKind) this.#byKind.set(kind, unread);
  }

  /** Counts the change from `before` to `after` (null: it did not exist, or no longer does). */
  change(before: Notification | null, after: Notification | null) {
    if (before) this.#add(before, -1);
    if (after) this.#add(after, 1);
  }

  /** Every unread notification was read (and so seen). */
  readAll() {
    this.unread = 0;
    this.unseen = 0;
    this.#byKind.clear();
  }

  /** Every unseen notification was seen. */
  seeAll() {
    this.unseen = 0;
  }

  counts(): NotificationCounts {
    const unreadByKind = [...this.#byKind]
      .filter(([, unread]) => unread > 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([kind, unread]) => ({ kind, unread }));
    return { unread: this.unread, unseen: this.unseen, unreadByKind };
  }

  #add(row: Notification, sign: 1 | -1) {
    if (isHidden(row)) return;
    if (row.seenAt === null) this.unseen += sign;
    if (row.readAt !== null) return;
    this.unread += sign;
    this.#byKind.set(row.kind, (this.#byKind.get(row.kind) ?? 0) + sign);
  }
}
