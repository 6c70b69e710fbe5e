import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import Database from 'better-sqlite3';
import pg from 'pg';
import { providerOf } from '../config.ts';
import { PrismaClient as PostgresClient } from '../generated/prisma/postgresql/client.ts';
import { PrismaClient } from '../generated/prisma/sqlite/client.ts';

export { Prisma } from '../generated/prisma/sqlite/client.ts';
export type { PrismaClient };
/** The Prisma client of either provider: both are generated from one schema, so they share a shape. */
export type Db = PrismaClient;
/** A Prisma client inside an interactive transaction. */
export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/** The path of the SQLite file a `file:` URL names, relative paths taken from the working directory. */
export function sqliteFile(databaseUrl: string): string {
  return path.resolve(databaseUrl.slice('file:'.length).split('?')[0] ?? '');
}

const sqliteConnections = new WeakMap<Db, Database.Database>();

/**
 * A second, synchronous connection to the SQLite file, for the hot write path (a notification
 * and its event, in one transaction): better-sqlite3 runs it in about 50 µs, where the same
 * statements through Prisma cost about 2 ms of CPU. Its transactions never yield to the event
 * loop, so they never hold the write lock while Prisma's connection waits for it. None for
 * PostgreSQL.
 */
export function sqliteConnectionOf(db: Db): Database.Database | undefined {
  return sqliteConnections.get(db);
}

const postgresPools = new WeakMap<Db, pg.Pool>();
const timestampOid = 1114;

/**
 * A small pool of plain `pg` connections beside Prisma's, for the same hot write path on
 * PostgreSQL: each statement through node-postgres costs a fraction of what it costs through
 * Prisma's query compiler. None for SQLite.
 */
export function postgresPoolOf(db: Db): pg.Pool | undefined {
  return postgresPools.get(db);
}

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * The rows of a read on a hot path (a request's credentials, a stream's start, the periodic
 * credential check), on the cheapest connection there is: SQLite's synchronous one, else the pg
 * pool. `sql` uses `?` placeholders and must read the same on both engines.
 */
export async function readAll<T>(db: Db, sql: string, ...params: unknown[]): Promise<T[]> {
  const sqlite = sqliteStatement(db, sql);
  if (sqlite) return sqlite.all(...params) as T[];
  const pool = postgresPools.get(db);
  if (!pool) throw new Error('readAll needs a database opened by connectDatabase.');
  let text = postgresTexts.get(sql);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    if (postgresTexts.size < 100) postgresTexts.set(sql, text);
  }
  return (await pool.query<T & pg.QueryResultRow>(postgresStatement(text, params))).rows;
}

const postgresTexts = new Map<string, string>();
const postgresStatementNames = new Map<string, string>();

/**
 * A query for the pg pool, named for the first 100 statement texts this process sends: a named
 * statement is parsed and planned once per connection instead of at every call, which cut
 * PostgreSQL's CPU for the API-key read from about 100 to 30-45 µs here. Texts must name their
 * columns (no `SELECT *`), so a migration that adds a column leaves prepared statements valid.
 */
export function postgresStatement(text: string, values: unknown[]): pg.QueryConfig {
  let name = postgresStatementNames.get(text);
  if (name === undefined && postgresStatementNames.size < 100) {
    name = `tidings_${postgresStatementNames.size + 1}`;
    postgresStatementNames.set(text, name);
  }
  return name === undefined ? { text, values } : { name, text, values };
}

/** The first row of `readAll`. */
export async function readOne<T>(db: Db, sql: string, ...params: unknown[]): Promise<T | undefined> {
  const sqlite = sqliteStatement(db, sql);
  if (sqlite) return sqlite.get(...params) as T | undefined;
  return (await readAll<T>(db, sql, ...params))[0];
}

/** A prepared statement on SQLite's synchronous connection (the first 100 texts are kept), or undefined on PostgreSQL. */
function sqliteStatement(db: Db, sql: string): Database.Statement | undefined {
  const sqlite = sqliteConnections.get(db);
  if (!sqlite) return undefined;
  let cache = statements.get(sqlite);
  if (!cache) {
    cache = new Map();
    statements.set(sqlite, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = sqlite.prepare(sql);
    if (cache.size < 100) cache.set(sql, statement);
  }
  return statement;
}

/** Closes `extra` when the Prisma client disconnects, so callers keep one thing to close. */
function closeWith(db: Db, extra: () => Promise<void> | void) {
  const disconnect = db.$disconnect.bind(db);
  db.$disconnect = async () => {
    await extra();
    await disconnect();
  };
}

/** Opens a Prisma client on the database `DATABASE_URL` names, through its driver adapter. */
export async function connectDatabase(databaseUrl: string): Promise<Db> {
  if (providerOf(databaseUrl) === 'postgresql') {
    const adapter = new PrismaPg({ connectionString: databaseUrl, max: 20 });
    // The PostgreSQL client is generated from the same models as the SQLite one; only the
    // provider differs, so its type is the same shape.
    const db = new PostgresClient({ adapter }) as unknown as Db;
    await db.$connect();
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
    postgresPools.set(db, pool);
    let ended = false;
    closeWith(db, async () => {
      if (ended) return;
      ended = true;
      await pool.end();
    });
    return db;
  }
  const file = sqliteFile(databaseUrl);
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: `file:${file}` }) });
  // WAL lets readers run beside the writer, and NORMAL syncs once per checkpoint instead of
  // once per commit: together about ten times the insert rate of the defaults.
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await db.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  await db.$queryRawUnsafe('PRAGMA busy_timeout = 5000');
  await db.$queryRawUnsafe('PRAGMA foreign_keys = ON');
  const writer = new Database(file);
  // No busy wait: it would block the event loop, and with it whoever holds the lock. Callers
  // retry on SQLITE_BUSY after yielding instead.
  writer.pragma('busy_timeout = 0');
  writer.pragma('synchronous = NORMAL');
  writer.pragma('foreign_keys = ON');
  sqliteConnections.set(db, writer);
  closeWith(db, () => {
    if (writer.open) writer.close();
  });
  return db;
}
