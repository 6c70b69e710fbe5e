import type { NotificationCounts } from '../realtime/events.ts';
import { shownSql } from './inbox.ts';

/**
 * A user's counts, read from the notifications (see inbox.ts for what they count): how the event
 * log finds them after taking a user's lock, and how a stream and the `notificationCounts` query
 * start. Written once for both engines (`?` placeholders, integers cast so PostgreSQL's COUNT
 * reads as a number).
 */
export const countsByKind = `SELECT kind, CAST(COUNT(*) AS INTEGER) AS unread,
    CAST(SUM(CASE WHEN "seenAt" IS NULL THEN 1 ELSE 0 END) AS INTEGER) AS unseen
  FROM notification
  WHERE "recipientId" = ? AND "readAt" IS NULL AND ${shownSql()}
  GROUP BY kind`;

/**
 * The user's last sequence number (the row whose kind is null) and counts, in one statement, so
 * both are read in one snapshot: a stream starts from a cursor and the counts as of that cursor.
 * Only for a user the event log has stored no inbox state for (see positionAndInbox).
 */
export const positionAndCounts = `SELECT NULL AS kind, "lastEventSeq" AS unread, 0 AS unseen FROM "user" WHERE id = ?
  UNION ALL ${countsByKind}`;

export interface KindCountRow {
  kind: string | null;
  unread: number;
  unseen: number;
}

/** The counts of one user's `countsByKind` rows. */
export function countsOf(rows: KindCountRow[]): NotificationCounts {
  let unread = 0;
  let unseen = 0;
  const unreadByKind: NotificationCounts['unreadByKind'] = [];
  for (const row of rows) {
    if (row.kind === null) continue;
    unread += Number(row.unread);
    unseen += Number(row.unseen);
    unreadByKind.push({ kind: row.kind, unread: Number(row.unread) });
  }
  unreadByKind.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  return { unread, unseen, unreadByKind };
}

/** The user's last sequence number and the inbox state the event log stored with it (see InboxState). */
export const positionAndInbox = 'SELECT "lastEventSeq", inbox FROM "user" WHERE id = ?';

export interface PositionRow {
  lastEventSeq: number | bigint;
  /** JSON text on SQLite, parsed already on PostgreSQL; null until the log first stores it. */
  inbox: string | { counts: NotificationCounts } | null;
}

/** The counts of a user's stored inbox state, or null when none was stored yet. */
export function storedCounts(row: PositionRow | undefined): NotificationCounts | null {
  if (!row || row.inbox === null) return null;
  return (typeof row.inbox === 'string' ? (JSON.parse(row.inbox) as { counts: NotificationCounts }) : row.inbox).counts;
}
