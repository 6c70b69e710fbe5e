import Database from 'better-sqlite3';
import type { Notification } from '../generated/prisma/sqlite/client.ts';
import * as log from './event-log.ts';

/**
 * SQLite's raw connection: a second, synchronous better-sqlite3 connection to the file beside
 * Prisma's, and every statement Tidings runs on it. A statement here runs in a few µs, where the
 * same statement through Prisma's query compiler costs about 0.7 ms of CPU. Its transactions never
 * yield to the event loop, so they never hold the write lock while Prisma's connection waits for it.
 */
export class SqliteSql {
  readonly engine = 'sqlite';
  readonly #statements = new Map<string, Database.Statement>();

  constructor(readonly connection: Database.Database) {}

  /** A prepared statement for `text`; the first 100 texts are kept. */
  statement(text: string): Database.Statement {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.connection.prepare(text);
      if (this.#statements.size < 100) this.#statements.set(text, statement);
    }
    return statement;
  }

  /** The rows of a read on a hot path; `text` uses `?` placeholders and reads the same on both engines. */
  async all<T>(text: string, ...params: unknown[]): Promise<T[]> {
    return this.statement(text).all(...params) as T[];
  }

  /** The first row of `all`. */
  async one<T>(text: string, ...params: unknown[]): Promise<T | undefined> {
    return this.statement(text).get(...params) as T | undefined;
  }

  async close() {
    if (this.connection.open) this.connection.close();
  }
}

export function openSqlite(file: string): SqliteSql {
  const connection = new Database(file);
  // No busy wait: it would block the event loop, and with it whoever holds the lock. The event log
  // retries on SQLITE_BUSY after yielding instead.
  connection.pragma('busy_timeout = 0');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('foreign_keys = ON');
  return new SqliteSql(connection);
}

/** The columns of a notification, as every statement here reads them. */
const columns = 'id, "recipientId", kind, title, body, url, data, "readAt", "createdAt"';

interface NotificationRow extends Omit<Notification, 'data' | 'readAt' | 'createdAt'> {
  data: string | null;
  readAt: string | null;
  createdAt: string;
}

/** SQLite's DATETIME text as Prisma writes it (so Prisma reads it back, and ranges compare as text). */
function sqliteDate(date: Date): string {
  return date.toISOString().replace('Z', '+00:00');
}

function notificationOf(row: NotificationRow): Notification {
  return {
    ...row,
    data: row.data === null ? null : (JSON.parse(row.data) as Notification['data']),
    readAt: row.readAt === null ? null : new Date(row.readAt),
    createdAt: new Date(row.createdAt),
  };
}

/** The event log's statements on SQLite (see event-log.ts): each batch one synchronous transaction. */
export function createSqliteEngine(sql: SqliteSql): log.EventLogEngine {
  const statement = <Params extends unknown[], Row = unknown>(text: string) =>
    sql.connection.prepare<Params, Row>(text);
  const userState = statement<[string, string], log.UserState>(
    'SELECT "lastEventSeq" AS seq, (SELECT COUNT(*) FROM notification WHERE "recipientId" = ? AND "readAt" IS NULL) AS unread FROM "user" WHERE id = ?',
  );
  const insertNotification = statement<
    [string, string, string, string, string | null, string | null, string | null, string]
  >(
    'INSERT INTO notification (id, "recipientId", kind, title, body, url, data, "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const markRead = statement<[string, string, string], NotificationRow>(
    `UPDATE notification SET "readAt" = ? WHERE id = ? AND "recipientId" = ? AND "readAt" IS NULL RETURNING ${columns}`,
  );
  const findNotification = statement<[string, string], NotificationRow>(
    `SELECT ${columns} FROM notification WHERE id = ? AND "recipientId" = ?`,
  );
  const markAllRead = statement<[string, string]>(
    'UPDATE notification SET "readAt" = ? WHERE "recipientId" = ? AND "readAt" IS NULL',
  );
  const deleteNotification = statement<[string, string], { readAt: string | null }>(
    'DELETE FROM notification WHERE id = ? AND "recipientId" = ? RETURNING "readAt"',
  );
  const insertEvent = statement<[string, number, string, string, string]>(
    'INSERT INTO user_event ("userId", seq, type, payload, "createdAt") VALUES (?, ?, ?, ?, ?)',
  );
  const setLastSeq = statement<[number, string]>('UPDATE "user" SET "lastEventSeq" = ? WHERE id = ?');

  const apply: log.ApplyTable<false> = {
    create: (changes, users) =>
      changes.map(({ notification: n }) => {
        if (!users.has(n.recipientId)) return false;
        const data = n.data === null ? null : JSON.stringify(n.data);
        insertNotification.run(n.id, n.recipientId, n.kind, n.title, n.body, n.url, data, sqliteDate(n.createdAt));
        return true;
      }),
    read: (changes) =>
      changes.map(({ userId, id, at }): log.Applied['read'] => {
        const changed = markRead.get(sqliteDate(at), id, userId);
        if (changed) return { notification: notificationOf(changed), changed: true };
        const current = findNotification.get(id, userId);
        return current ? { notification: notificationOf(current), changed: false } : null;
      }),
    readAll: (changes) => changes.map(({ userId, at }) => markAllRead.run(sqliteDate(at), userId).changes),
    delete: (changes) =>
      changes.map(({ userId, id }) => {
        const deleted = deleteNotification.get(id, userId);
        return deleted ? { wasUnread: deleted.readAt === null } : null;
      }),
  };

  const writeBatch = sql.connection.transaction((changes: log.Change[]) => {
    const users = new Map<string, log.UserState>();
    for (const id of log.usersOf(changes)) {
      const user = userState.get(id, id);
      if (user) users.set(id, user);
    }
    const applied = log.runsOf(changes).flatMap((changesOfKind) => log.applyRun(apply, changesOfKind, users));
    const { outcomes, events } = log.sequence(changes, applied, users);
    const lastSeq = new Map<string, number>();
    for (const { userId, seq, event, at } of events) {
      insertEvent.run(userId, seq, event.type, JSON.stringify(event), sqliteDate(at));
      lastSeq.set(userId, seq);
    }
    for (const [userId, seq] of lastSeq) setLastSeq.run(seq, userId);
    return outcomes;
  });

  return {
    // A batch is one synchronous transaction: larger ones would hold the event loop longer.
    maxBatch: 500,
    async write(changes) {
      try {
        // IMMEDIATE: the write lock at BEGIN, so a busy database fails before anything was done.
        return writeBatch.immediate(changes);
      } catch (error) {
        const busy = String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY');
        throw new log.BatchFailed(error, busy ? 'retry later' : 'retry alone');
      }
    },
  };
}
