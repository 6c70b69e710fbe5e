import Database from 'better-sqlite3';
import type { Notification } from '../generated/prisma/sqlite/client.ts';
import { columns, valuesOf } from './columns.ts';
import { countsByKind, countsOf, type KindCountRow } from './counts.ts';
import * as log from './event-log.ts';
import { shownSql } from './inbox.ts';

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

  /** The row a read by one key finds (`text` ends in `WHERE <column> = ?`): one statement, as `one`. */
  async oneBy<T>(text: string, key: string): Promise<T | undefined> {
    return this.statement(text).get(key) as T | undefined;
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

type DateColumn =
  | 'readAt'
  | 'createdAt'
  | 'seenAt'
  | 'archivedAt'
  | 'snoozedUntil'
  | 'expiresAt'
  | 'expiredAt'
  | 'deletedAt'
  | 'actedAt';
const dateColumns: DateColumn[] = [
  'readAt',
  'createdAt',
  'seenAt',
  'archivedAt',
  'snoozedUntil',
  'expiresAt',
  'expiredAt',
  'deletedAt',
  'actedAt',
];

type NotificationRow = Omit<Notification, 'data' | 'actions' | DateColumn> & {
  data: string | null;
  actions: string | null;
} & Record<DateColumn, string | null>;

/** SQLite's DATETIME text as Prisma writes it (so Prisma reads it back, and ranges compare as text). */
function sqliteDate(date: Date): string {
  return date.toISOString().replace('Z', '+00:00');
}

function notificationOf(row: NotificationRow): Notification {
  const notification: Record<string, unknown> = {
    ...row,
    data: row.data === null ? null : JSON.parse(row.data),
    actions: row.actions === null ? null : JSON.parse(row.actions),
  };
  for (const column of dateColumns) {
    const text = row[column];
    notification[column] = text === null ? null : new Date(text);
  }
  return notification as unknown as Notification;
}

/** A notification's values in `columns` order, as SQLite's statements take them. */
const sqliteValuesOf = (n: Notification) => valuesOf(n, sqliteDate);

/** Not archived, snoozed, expired or deleted (inbox.ts). */
const shown = shownSql();

/** The event log's statements on SQLite (see event-log.ts): each batch one synchronous transaction. */
export function createSqliteEngine(sql: SqliteSql): log.EventLogEngine {
  const statement = <Params extends unknown[], Row = unknown>(text: string) =>
    sql.connection.prepare<Params, Row>(text);
  const lockedUser = statement<[string], { seq: number; inbox: string | null }>(
    'SELECT "lastEventSeq" AS seq, inbox FROM "user" WHERE id = ?',
  );
  const muted = statement<[string], { kind: string }>(
    'SELECT kind FROM kind_preference WHERE "userId" = ? AND "inApp" = 0',
  );
  const counts = statement<[string], KindCountRow>(countsByKind);
  const find = statement<[string], NotificationRow>(`SELECT ${columns} FROM notification WHERE id = ?`);
  const findGroup = statement<[string, string], NotificationRow>(
    `SELECT ${columns} FROM notification WHERE "recipientId" = ? AND "groupKey" = ? AND "readAt" IS NULL AND ${shown}
      ORDER BY "createdAt" DESC, id DESC LIMIT 1`,
  );
  const insert = statement<unknown[]>(
    `INSERT INTO notification (${columns}) VALUES (${Array.from(columns.split(','), () => '?').join(', ')})`,
  );
  const update = statement<unknown[]>(
    `UPDATE notification SET kind = ?, title = ?, body = ?, url = ?, data = ?, "readAt" = ?, "createdAt" = ?, "seenAt" = ?,
      "archivedAt" = ?, "snoozedUntil" = ?, "expiresAt" = ?, "expiredAt" = ?, actions = ?, "actedAt" = ?, "actionId" = ?,
      "groupKey" = ?, "groupCount" = ?, "batchId" = ?, sender = ?,
      "deletedAt" = ? WHERE id = ?`,
  );
  const readAll = statement<[string, string, string]>(
    `UPDATE notification SET "readAt" = ?, "seenAt" = COALESCE("seenAt", ?) WHERE "recipientId" = ? AND "readAt" IS NULL AND ${shown}`,
  );
  const seeAll = statement<[string, string]>(
    `UPDATE notification SET "seenAt" = ? WHERE "recipientId" = ? AND "seenAt" IS NULL AND ${shown}`,
  );
  const archiveRead = statement<[string, string]>(
    'UPDATE notification SET "archivedAt" = ? WHERE "recipientId" = ? AND "readAt" IS NOT NULL AND "archivedAt" IS NULL AND "expiredAt" IS NULL AND "deletedAt" IS NULL',
  );
  const insertEvent = statement<[string, number, string, string, string]>(
    'INSERT INTO user_event ("userId", seq, type, payload, "createdAt") VALUES (?, ?, ?, ?, ?)',
  );
  const setLastSeq = statement<[number, string, string]>(
    'UPDATE "user" SET "lastEventSeq" = ?, inbox = ? WHERE id = ?',
  );
  const preference = statement<[string, string], Record<keyof log.PreferenceRow, unknown>>(
    'SELECT kind, "inApp", push, desktop, sound FROM kind_preference WHERE "userId" = ? AND kind = ?',
  );
  const savePreference = statement<[string, string, number, number, number, number, string]>(
    `INSERT INTO kind_preference ("userId", kind, "inApp", push, desktop, sound, "updatedAt") VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT ("userId", kind) DO UPDATE SET "inApp" = excluded."inApp", push = excluded.push,
        desktop = excluded.desktop, sound = excluded.sound, "updatedAt" = excluded."updatedAt"`,
  );

  const statements: log.Statements = {
    lockUsers: (userIds) => {
      // BEGIN IMMEDIATE took the database's one write lock already.
      const locked = new Map<string, { seq: number; inbox: log.InboxState | null }>();
      for (const id of userIds) {
        const user = lockedUser.get(id);
        if (user) locked.set(id, { seq: user.seq, inbox: user.inbox === null ? null : JSON.parse(user.inbox) });
      }
      return locked;
    },
    recount: (userIds) =>
      new Map(
        userIds.map((id) => [id, { counts: countsOf(counts.all(id)), muted: muted.all(id).map((row) => row.kind) }]),
      ),
    find: (ids) => ids.flatMap((id) => find.all(id).map(notificationOf)),
    findGroups: (groups) =>
      groups.flatMap(({ userId, groupKey }) => findGroup.all(userId, groupKey).map(notificationOf)),
    insert: (rows) => {
      for (const row of rows) insert.run(...sqliteValuesOf(row));
    },
    update: (rows) => {
      for (const row of rows) {
        const [id, , ...rest] = sqliteValuesOf(row);
        update.run(...rest, id);
      }
    },
    readAll: (userId, at) => readAll.run(sqliteDate(at), sqliteDate(at), userId).changes,
    seeAll: (userId, at) => seeAll.run(sqliteDate(at), userId).changes,
    archiveRead: (userId, at) => archiveRead.run(sqliteDate(at), userId).changes,
    preference: (userId, kind) => {
      const row = preference.get(userId, kind);
      return row
        ? {
            kind,
            inApp: Boolean(row.inApp),
            push: Boolean(row.push),
            desktop: Boolean(row.desktop),
            sound: Boolean(row.sound),
          }
        : null;
    },
    savePreference: (userId, { kind, inApp, push, desktop, sound }, at) => {
      savePreference.run(userId, kind, Number(inApp), Number(push), Number(desktop), Number(sound), sqliteDate(at));
    },
    append: (events, lastSeqs) => {
      for (const { userId, seq, event, at } of events) {
        insertEvent.run(userId, seq, event.type, JSON.stringify(event), sqliteDate(at));
      }
      for (const [userId, { seq, inbox }] of lastSeqs) setLastSeq.run(seq, JSON.stringify(inbox), userId);
    },
  };

  const writeBatch = sql.connection.transaction((changes: log.Change[]) =>
    log.runSync(log.batchOf(changes), statements),
  );

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
