import pg from 'pg';
import type { Notification } from '../generated/prisma/sqlite/client.ts';
import * as log from './event-log.ts';

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

/** The columns of a notification, as every statement here reads them. */
const columns = 'id, "recipientId", kind, title, body, url, data, "readAt", "createdAt"';

// The users' row locks, always in id order, so two processes' batches cannot deadlock. NO KEY
// UPDATE lets others insert rows that reference a user meanwhile.
const lockUsers =
  'SELECT id, "lastEventSeq" AS seq FROM "user" WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE';

// A statement of its own after the locks (see event-log.ts): its snapshot is taken when it starts.
const countUnread = `SELECT "recipientId" AS id, COUNT(*)::int AS unread FROM notification
  WHERE "recipientId" = ANY($1::text[]) AND "readAt" IS NULL GROUP BY "recipientId"`;

const insertNotifications = `INSERT INTO notification (id, "recipientId", kind, title, body, url, data, "createdAt")
  SELECT c.id, c."recipientId", c.kind, c.title, c.body, c.url, c.data, c."createdAt"
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::timestamp[])
    AS c (id, "recipientId", kind, title, body, url, data, "createdAt")`;

// Both in one statement (a data-modifying WITH always runs to completion).
const appendEvents = `WITH appended AS (
    INSERT INTO user_event ("userId", seq, type, payload, "createdAt")
    SELECT e."userId", e.seq, e.type, e.payload, e."createdAt"
    FROM unnest($1::text[], $2::int[], $3::text[], $4::jsonb[], $5::timestamp[]) AS e ("userId", seq, type, payload, "createdAt")
  )
  UPDATE "user" AS u SET "lastEventSeq" = c.seq FROM unnest($6::text[], $7::int[]) AS c (id, seq) WHERE u.id = c.id`;

/**
 * The event log's statements on PostgreSQL (see event-log.ts). A batch of creates costs the same
 * six round trips whatever its size (begin, lock, count, insert, append, commit); dates go as ISO
 * strings so the `timestamp` columns hold UTC, as Prisma writes them, whatever the process' zone.
 */
export function createPostgresEngine(sql: PostgresSql): log.EventLogEngine {
  return { maxBatch: 200, write: (changes) => writeBatch(sql, changes) };
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
    const outcomes = await writeInTransaction(sql, client, changes);
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

async function writeInTransaction(sql: PostgresSql, client: pg.PoolClient, changes: log.Change[]) {
  const query = <T extends pg.QueryResultRow>(text: string, values: unknown[]) =>
    client.query<T>(sql.named(text, values));
  const locked = await query<{ id: string; seq: number }>(lockUsers, [log.usersOf(changes)]);
  const users = new Map<string, log.UserState>(locked.rows.map(({ id, seq }) => [id, { seq, unread: 0 }]));
  if (users.size > 0) {
    for (const { id, unread } of (await query<{ id: string; unread: number }>(countUnread, [[...users.keys()]])).rows) {
      (users.get(id) as log.UserState).unread = unread;
    }
  }

  const apply: log.ApplyTable<true> = {
    async create(creates, locked) {
      const rows = creates.flatMap(({ notification: n }) => (locked.has(n.recipientId) ? [n] : []));
      if (rows.length > 0) {
        await query(insertNotifications, [
          rows.map((n) => n.id),
          rows.map((n) => n.recipientId),
          rows.map((n) => n.kind),
          rows.map((n) => n.title),
          rows.map((n) => n.body),
          rows.map((n) => n.url),
          rows.map((n) => (n.data === null ? null : JSON.stringify(n.data))),
          rows.map((n) => n.createdAt.toISOString()),
        ]);
      }
      return creates.map(({ notification: n }) => locked.has(n.recipientId));
    },
    async read(reads) {
      const applied: log.Applied['read'][] = [];
      for (const { userId, id, at } of reads) {
        const [changed] = (
          await query<Notification>(
            `UPDATE notification SET "readAt" = $3 WHERE id = $1 AND "recipientId" = $2 AND "readAt" IS NULL RETURNING ${columns}`,
            [id, userId, at.toISOString()],
          )
        ).rows;
        if (changed) {
          applied.push({ notification: changed, changed: true });
          continue;
        }
        const [current] = (
          await query<Notification>(`SELECT ${columns} FROM notification WHERE id = $1 AND "recipientId" = $2`, [
            id,
            userId,
          ])
        ).rows;
        applied.push(current ? { notification: current, changed: false } : null);
      }
      return applied;
    },
    async readAll(readAlls) {
      const counts = [];
      for (const { userId, at } of readAlls) {
        const marked = await query(
          'UPDATE notification SET "readAt" = $2 WHERE "recipientId" = $1 AND "readAt" IS NULL',
          [userId, at.toISOString()],
        );
        counts.push(marked.rowCount ?? 0);
      }
      return counts;
    },
    async delete(deletes) {
      const applied = [];
      for (const { userId, id } of deletes) {
        const deleted = await query<{ readAt: Date | null }>(
          'DELETE FROM notification WHERE id = $1 AND "recipientId" = $2 RETURNING "readAt"',
          [id, userId],
        );
        const row = deleted.rows[0];
        applied.push(row ? { wasUnread: row.readAt === null } : null);
      }
      return applied;
    },
  };

  const applied: unknown[] = [];
  for (const run of log.runsOf(changes)) applied.push(...(await log.applyRun(apply, run, users)));
  const { outcomes, events } = log.sequence(changes, applied, users);
  if (events.length > 0) {
    const lastSeq = new Map(events.map(({ userId, seq }) => [userId, seq]));
    await query(appendEvents, [
      events.map((e) => e.userId),
      events.map((e) => e.seq),
      events.map((e) => e.event.type),
      events.map((e) => JSON.stringify(e.event)),
      events.map((e) => e.at.toISOString()),
      [...lastSeq.keys()],
      [...lastSeq.values()],
    ]);
  }
  return outcomes;
}
