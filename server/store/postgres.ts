import pg from 'pg';
import type { Notification } from '../generated/prisma/sqlite/client.ts';
import { columnCount, columns, valuesOf } from './columns.ts';
import { countsOf, type KindCountRow } from './counts.ts';
import * as log from './event-log.ts';
import { shownSql } from './inbox.ts';

const timestampOid = 1114;

/**
 * PostgreSQL's raw connection: a small pool of plain node-postgres connections beside Prisma's,
 * and every statement Tidings runs on it. Each statement through node-postgres costs a fraction of
 * what it costs through Prisma's query compiler.
 */
export class PostgresSql {
  readonly engine = 'postgresql';
  /** Statement names by text, and `?` texts rewritten to `$n`: each kept for the first 100 texts. */
  readonly #names = new Map<string, string>();
  readonly #texts = new Map<string, string>();

  constructor(readonly pool: pg.Pool) {}

  /**
   * A query for the pool, named for the first 100 statement texts: a named statement is parsed and
   * planned once per connection instead of at every call, which cut PostgreSQL's CPU for the
   * API-key read from about 100 to 30-45 µs here. Texts must name their columns (no `SELECT *` of a
   * table), so a migration that adds a column leaves prepared statements valid.
   */
  named(text: string, values: unknown[]): pg.QueryConfig {
    let name = this.#names.get(text);
    if (name === undefined && this.#names.size < 100) {
      name = `tidings_${this.#names.size + 1}`;
      this.#names.set(text, name);
    }
    return name === undefined ? { text, values } : { name, text, values };
  }

  /** The rows of a read on a hot path; `text` uses `?` placeholders and reads the same on both engines. */
  async all<T>(text: string, ...params: unknown[]): Promise<T[]> {
    let numbered = this.#texts.get(text);
    if (numbered === undefined) {
      let n = 0;
      numbered = text.replace(/\?/g, () => `$${++n}`);
      if (this.#texts.size < 100) this.#texts.set(text, numbered);
    }
    return (await this.pool.query<T & pg.QueryResultRow>(this.named(numbered, params))).rows;
  }

  /** The first row of `all`. */
  async one<T>(text: string, ...params: unknown[]): Promise<T | undefined> {
    return (await this.all<T>(text, ...params))[0];
  }

  readonly #lookups = new Map<string, Map<string, ((outcome: { row?: unknown; error?: unknown }) => void)[]>>();

  /**
   * The row a read by one key finds: `text` ends in `WHERE <column> = ?` and selects that column
   * as "by". The lookups of one text that arrive in the same turn of the event loop go to the
   * database as one statement (`= ANY(...)`): a round trip costs this process 60-170 µs of CPU
   * here, and every request with an API key makes one (auth/credentials.ts).
   */
  oneBy<T>(text: string, key: string): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      let waiting = this.#lookups.get(text);
      if (!waiting) {
        waiting = new Map();
        this.#lookups.set(text, waiting);
        setImmediate(() => void this.#lookUp(text));
      }
      const settle = ({ row, error }: { row?: unknown; error?: unknown }) =>
        error === undefined ? resolve(row as T | undefined) : reject(error);
      waiting.get(key)?.push(settle) ?? waiting.set(key, [settle]);
    });
  }

  async #lookUp(text: string) {
    const waiting = this.#lookups.get(text);
    this.#lookups.delete(text);
    if (!waiting) return;
    try {
      const rows = await this.all<{ by: string }>(text.replace(/= \?$/, '= ANY(?::text[])'), [...waiting.keys()]);
      const found = new Map(rows.map((row) => [row.by, row]));
      for (const [key, settles] of waiting) for (const settle of settles) settle({ row: found.get(key) });
    } catch (error) {
      for (const settles of waiting.values()) for (const settle of settles) settle({ error });
    }
  }

  #ended = false;
  async close() {
    if (this.#ended) return;
    this.#ended = true;
    await this.pool.end();
  }
}

export function openPostgres(databaseUrl: string): PostgresSql {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    // Prisma's timestamp columns hold UTC without a zone; node-postgres would read them as local time.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === timestampOid
          ? (value: string) => new Date(`${value.replace(' ', 'T')}Z`)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection dropped by the server must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return new PostgresSql(pool);
}

/** The same columns as `unnest` takes them, one array of each, in `columns` order. */
const unnested = `unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::timestamp[],
    $9::timestamp[], $10::timestamp[], $11::timestamp[], $12::timestamp[], $13::timestamp[], $14::timestamp[], $15::jsonb[],
    $16::timestamp[], $17::text[], $18::text[], $19::int[], $20::text[], $21::text[], $22::timestamp[])
  AS c (id, "recipientId", kind, title, body, url, data, "readAt", "createdAt", "seenAt", "archivedAt", "snoozedUntil",
    "expiresAt", "expiredAt", actions, "actedAt", "actionId", "groupKey", "groupCount", "batchId", sender, "deletedAt")`;

/** Not archived, snoozed, expired or deleted (inbox.ts). */
const shown = shownSql('n.');

// The users' row locks, always in id order, so two processes' batches cannot deadlock. NO KEY
// UPDATE lets others insert rows that reference a user meanwhile.
// The inbox state comes with the lock: a row locked FOR UPDATE is read as its latest committed
// version, whatever the statement's snapshot (so no statement of its own is needed for it).
const lockUsers = `SELECT u.id, u."lastEventSeq" AS seq, u.inbox
  FROM "user" AS u WHERE u.id = ANY($1::text[]) ORDER BY u.id FOR NO KEY UPDATE OF u`;

// Only for users the log never stored an inbox state for: a statement of its own after the locks.
const muted = `SELECT p."userId" AS id, p.kind FROM kind_preference AS p WHERE p."userId" = ANY($1::text[]) AND NOT p."inApp"`;

const preference = `SELECT kind, "inApp", push, desktop, sound FROM kind_preference WHERE "userId" = $1 AND kind = $2`;

const savePreference = `INSERT INTO kind_preference ("userId", kind, "inApp", push, desktop, sound, "updatedAt")
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT ("userId", kind) DO UPDATE SET "inApp" = excluded."inApp", push = excluded.push,
    desktop = excluded.desktop, sound = excluded.sound, "updatedAt" = excluded."updatedAt"`;

// A statement of its own after the locks (see event-log.ts): its snapshot is taken when it starts.
const counts = `SELECT n."recipientId" AS id, n.kind, COUNT(*)::int AS unread,
    SUM(CASE WHEN n."seenAt" IS NULL THEN 1 ELSE 0 END)::int AS unseen
  FROM notification AS n WHERE n."recipientId" = ANY($1::text[]) AND n."readAt" IS NULL AND ${shown}
  GROUP BY n."recipientId", n.kind`;

const find = `SELECT ${columns} FROM notification WHERE id = ANY($1::text[])`;

const findGroups = `SELECT DISTINCT ON (n."recipientId", n."groupKey") ${columns}
  FROM notification AS n JOIN unnest($1::text[], $2::text[]) AS g (uid, gkey) ON n."recipientId" = g.uid AND n."groupKey" = g.gkey
  WHERE n."readAt" IS NULL AND ${shown}
  ORDER BY n."recipientId", n."groupKey", n."createdAt" DESC, n.id DESC`;

const insert = `INSERT INTO notification (${columns}) SELECT ${columns} FROM ${unnested}`;

const update = `UPDATE notification AS n SET kind = c.kind, title = c.title, body = c.body, url = c.url, data = c.data,
    "readAt" = c."readAt", "createdAt" = c."createdAt", "seenAt" = c."seenAt", "archivedAt" = c."archivedAt",
    "snoozedUntil" = c."snoozedUntil", "expiresAt" = c."expiresAt", "expiredAt" = c."expiredAt", actions = c.actions,
    "actedAt" = c."actedAt", "actionId" = c."actionId", "groupKey" = c."groupKey", "groupCount" = c."groupCount",
    "batchId" = c."batchId", sender = c.sender, "deletedAt" = c."deletedAt"
  FROM ${unnested} WHERE n.id = c.id`;

const readAll = `UPDATE notification AS n SET "readAt" = $2, "seenAt" = COALESCE(n."seenAt", $2)
  WHERE n."recipientId" = $1 AND n."readAt" IS NULL AND ${shown}`;

const seeAll = `UPDATE notification AS n SET "seenAt" = $2 WHERE n."recipientId" = $1 AND n."seenAt" IS NULL AND ${shown}`;

const archiveRead = `UPDATE notification AS n SET "archivedAt" = $2
  WHERE n."recipientId" = $1 AND n."readAt" IS NOT NULL AND n."archivedAt" IS NULL AND n."expiredAt" IS NULL
    AND n."deletedAt" IS NULL`;

// Both in one statement (a data-modifying WITH always runs to completion).
const appendEvents = `WITH appended AS (
    INSERT INTO user_event ("userId", seq, type, payload, "createdAt")
    SELECT e."userId", e.seq, e.type, e.payload, e."createdAt"
    FROM unnest($1::text[], $2::int[], $3::text[], $4::jsonb[], $5::timestamp[]) AS e ("userId", seq, type, payload, "createdAt")
  )
  UPDATE "user" AS u SET "lastEventSeq" = c.seq, inbox = c.inbox
  FROM unnest($6::text[], $7::int[], $8::jsonb[]) AS c (id, seq, inbox) WHERE u.id = c.id`;

/**
 * The event log's statements on PostgreSQL (see event-log.ts). A batch of creates costs the same
 * five round trips whatever its size (begin, lock, insert, append, commit); dates go as ISO
 * strings so the `timestamp` columns hold UTC, as Prisma writes them, whatever the process' zone.
 */
export function createPostgresEngine(sql: PostgresSql): log.EventLogEngine {
  return { maxBatch: 200, inFlight: 3, write: (changes) => writeBatch(sql, changes) };
}

async function writeBatch(sql: PostgresSql, changes: log.Change[]): Promise<log.Outcome[]> {
  let client: pg.PoolClient;
  try {
    client = await sql.pool.connect();
  } catch (error) {
    throw new log.BatchFailed(error, 'give up');
  }
  try {
    await client.query('BEGIN');
    const outcomes = await log.runAsync(log.batchOf(changes), statementsOf(sql, client));
    await client.query('COMMIT');
    client.release();
    return outcomes;
  } catch (error) {
    const rolledBack = await client.query('ROLLBACK').then(
      () => true,
      () => false,
    );
    // A connection that cannot even roll back is broken: the pool must not hand it out again.
    client.release(!rolledBack);
    // Without the rollback's answer the batch may have committed: trying again could write twice.
    throw new log.BatchFailed(error, rolledBack ? 'retry alone' : 'give up');
  }
}

/** Rows as `unnested` takes them: one array per column. */
function arraysOf(rows: Notification[]): unknown[][] {
  const values = rows.map((row) => valuesOf(row, (at) => at.toISOString()));
  return Array.from({ length: columnCount }, (_, column) => values.map((row) => row[column]));
}

function statementsOf(sql: PostgresSql, client: pg.PoolClient): log.Promised<log.Statements> {
  const query = <T extends pg.QueryResultRow>(text: string, values: unknown[]) =>
    client.query<T>(sql.named(text, values));
  return {
    async lockUsers(userIds) {
      const locked = await query<{ id: string; seq: number; inbox: log.InboxState | null }>(lockUsers, [userIds]);
      return new Map(locked.rows.map(({ id, seq, inbox }) => [id, { seq, inbox }]));
    },
    async recount(userIds) {
      const [rows, mutes] = [
        (await query<KindCountRow & { id: string }>(counts, [userIds])).rows,
        (await query<{ id: string; kind: string }>(muted, [userIds])).rows,
      ];
      return new Map(
        userIds.map((id) => [
          id,
          {
            counts: countsOf(rows.filter((row) => row.id === id)),
            muted: mutes.filter((row) => row.id === id).map((row) => row.kind),
          },
        ]),
      );
    },
    find: async (ids) => (await query<Notification>(find, [ids])).rows,
    findGroups: async (groups) =>
      (await query<Notification>(findGroups, [groups.map((g) => g.userId), groups.map((g) => g.groupKey)])).rows,
    async insert(rows) {
      await query(insert, arraysOf(rows));
    },
    async update(rows) {
      await query(update, arraysOf(rows));
    },
    readAll: async (userId, at) => (await query(readAll, [userId, at.toISOString()])).rowCount ?? 0,
    seeAll: async (userId, at) => (await query(seeAll, [userId, at.toISOString()])).rowCount ?? 0,
    archiveRead: async (userId, at) => (await query(archiveRead, [userId, at.toISOString()])).rowCount ?? 0,
    preference: async (userId, kind) => (await query<log.PreferenceRow>(preference, [userId, kind])).rows[0] ?? null,
    async savePreference(userId, { kind, inApp, push, desktop, sound }, at) {
      await query(savePreference, [userId, kind, inApp, push, desktop, sound, at.toISOString()]);
    },
    async append(events, users) {
      await query(appendEvents, [
        events.map((e) => e.userId),
        events.map((e) => e.seq),
        events.map((e) => e.event.type),
        events.map((e) => JSON.stringify(e.event)),
        events.map((e) => e.at.toISOString()),
        [...users.keys()],
        [...users.values()].map((user) => user.seq),
        [...users.values()].map((user) => JSON.stringify(user.inbox)),
      ]);
    },
  };
}
