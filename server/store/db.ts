// server/store owns the database: its connections (this module), the one event-log writer
// (event-log.ts, over one SQL module per engine: sqlite.ts, postgres.ts), the log as streams read
// it (log-reader.ts), migrations and retention. It never imports schema, http or graphql: its
// refusals are its own errors (errors.ts), which the schema answers as GraphQL errors.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { providerOf } from '../config.ts';
import { PrismaClient as PostgresClient } from '../generated/prisma/postgresql/client.ts';
import { PrismaClient } from '../generated/prisma/sqlite/client.ts';
import { openPostgres, type PostgresSql } from './postgres.ts';
import { openSqlite, type SqliteSql } from './sqlite.ts';

export { Prisma } from '../generated/prisma/sqlite/client.ts';
export type { PrismaClient };

/**
 * The raw connection each engine has beside Prisma's, for the event-log writer (event-log.ts) and
 * the reads on hot paths: SQLite's synchronous better-sqlite3 connection, or a pg pool.
 */
export type Sql = SqliteSql | PostgresSql;

/**
 * The database, as the values that reach it. Prisma is the schema, the migrations and every read
 * the GraphQL schema serves; `sql` is for the event-log writer and measured hot paths only.
 */
export interface Database {
  /** The Prisma client of either provider: both are generated from one schema, so they share a shape. */
  prisma: PrismaClient;
  sql: Sql;
  /** Closes both connections. */
  close(): Promise<void>;
}

/** The path of the SQLite file a `file:` URL names, relative paths taken from the working directory. */
/**
 * A time as a `?` parameter of a statement both engines run (Sql.all): SQLite's DATETIME text as
 * Prisma writes it, so it compares as text with what is stored, which PostgreSQL reads as the same
 * UTC timestamp.
 */
export function sqlTime(at: Date): string {
  return at.toISOString().replace('Z', '+00:00');
}

export function sqliteFile(databaseUrl: string): string {
  return path.resolve(databaseUrl.slice('file:'.length).split('?')[0] ?? '');
}

/** Opens the database `DATABASE_URL` names: Prisma through its driver adapter, and the engine's raw connection. */
export async function connectDatabase(databaseUrl: string): Promise<Database> {
  if (providerOf(databaseUrl) === 'postgresql') {
    const adapter = new PrismaPg({ connectionString: databaseUrl, max: 20 });
    // The PostgreSQL client is generated from the same models as the SQLite one; only the
    // provider differs, so its type is the same shape.
    const prisma = new PostgresClient({ adapter }) as unknown as PrismaClient;
    await prisma.$connect();
    return withClose(prisma, openPostgres(databaseUrl));
  }
  const file = sqliteFile(databaseUrl);
  mkdirSync(path.dirname(file), { recursive: true });
  const prisma = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: `file:${file}` }) });
  // WAL lets readers run beside the writer, and NORMAL syncs once per checkpoint instead of
  // once per commit: together about ten times the insert rate of the defaults.
  await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await prisma.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  await prisma.$queryRawUnsafe('PRAGMA busy_timeout = 5000');
  await prisma.$queryRawUnsafe('PRAGMA foreign_keys = ON');
  return withClose(prisma, openSqlite(file));
}

function withClose(prisma: PrismaClient, sql: Sql): Database {
  let closing: Promise<void> | undefined;
  return {
    prisma,
    sql,
    close() {
      closing ??= sql.close().then(() => prisma.$disconnect());
      return closing;
    },
  };
}
