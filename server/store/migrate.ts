import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { type Config, providerOf } from '../config.ts';
import { sqliteFile } from './db.ts';

/** Where the committed migrations live, one folder per provider (written by `npm run db:migration`). */
export const migrationsDir = path.join(import.meta.dirname, '..', '..', 'prisma', 'migrations');

export interface MigrationResult {
  applied: string[];
  total: number;
}

/**
 * Applies the committed migrations that the database has not seen yet, each in its own
 * transaction, recording them in `tidings_migrations`. Safe to run from several processes at
 * once: on PostgreSQL an advisory lock serializes them; on SQLite the write lock does.
 */
export async function migrate(databaseUrl: string): Promise<MigrationResult> {
  const provider = providerOf(databaseUrl);
  const migrations = listMigrations(provider);
  const applied =
    provider === 'sqlite'
      ? migrateSqlite(sqliteFile(databaseUrl), migrations)
      : await migratePostgres(databaseUrl, migrations);
  return { applied, total: migrations.length };
}

interface Migration {
  name: string;
  sql: string;
}

function listMigrations(provider: Config['provider']): Migration[] {
  const dir = path.join(migrationsDir, provider);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({ name, sql: readFileSync(path.join(dir, name, 'migration.sql'), 'utf8') }));
}

const ledger = /* SQL */ `CREATE TABLE IF NOT EXISTS tidings_migrations (
  name TEXT PRIMARY KEY,
  applied_at TEXT NOT NULL
)`;

function migrateSqlite(file: string, migrations: Migration[]): string[] {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.exec(ledger);
    const applied: string[] = [];
    for (const migration of migrations) {
      // IMMEDIATE takes the write lock before reading the ledger, so two processes cannot both
      // decide to apply the same migration.
      const run = db.transaction(() => {
        const seen = db.prepare('SELECT 1 FROM tidings_migrations WHERE name = ?').get(migration.name);
        if (seen) return false;
        db.exec(migration.sql);
        db.prepare('INSERT INTO tidings_migrations (name, applied_at) VALUES (?, ?)').run(
          migration.name,
          new Date().toISOString(),
        );
        return true;
      });
      if (run.immediate()) applied.push(migration.name);
    }
    return applied;
  } finally {
    db.close();
  }
}

async function migratePostgres(databaseUrl: string, migrations: Migration[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // An arbitrary constant: the one advisory lock that every Tidings process migrates under.
    await client.query('SELECT pg_advisory_lock(725104)');
    await client.query(ledger);
    const { rows } = await client.query<{ name: string }>('SELECT name FROM tidings_migrations');
    const seen = new Set(rows.map((row) => row.name));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (seen.has(migration.name)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO tidings_migrations (name, applied_at) VALUES ($1, $2)', [
          migration.name,
          new Date().toISOString(),
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`Migration ${migration.name} failed: ${(error as Error).message}`);
      }
      applied.push(migration.name);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock(725104)').catch(() => undefined);
    await client.end();
  }
}
