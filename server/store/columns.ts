import type { Notification } from '../generated/prisma/sqlite/client.ts';

/**
 * A notification's columns, as both engines' statements read and write them, and a row's values
 * in that order: one list, so an engine cannot miss a column the other writes (and
 * tests/sql-schema.test.ts holds it to Prisma's model).
 */
export const columns =
  'id, "recipientId", kind, title, body, url, data, "readAt", "createdAt", "seenAt", "archivedAt", "snoozedUntil", "expiresAt", "expiredAt", actions, "actedAt", "actionId", "groupKey", "groupCount", "batchId", sender, "deletedAt"';

export const columnCount = columns.split(',').length;

function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** A notification's values in `columns` order, its times as `time` writes them for the engine. */
export function valuesOf(n: Notification, time: (at: Date) => string): unknown[] {
  const orNull = (at: Date | null) => (at === null ? null : time(at));
  return [
    n.id,
    n.recipientId,
    n.kind,
    n.title,
    n.body,
    n.url,
    json(n.data),
    orNull(n.readAt),
    time(n.createdAt),
    orNull(n.seenAt),
    orNull(n.archivedAt),
    orNull(n.snoozedUntil),
    orNull(n.expiresAt),
    orNull(n.expiredAt),
    json(n.actions),
    orNull(n.actedAt),
    n.actionId,
    n.groupKey,
    n.groupCount,
    n.batchId,
    n.sender,
    orNull(n.deletedAt),
  ];
}
