import { createRequire } from 'node:module';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

const root = path.join(import.meta.dirname, '..');
// Tests that do not touch a database run once, in the SQLite project; several instances sharing
// one database, and PostgreSQL's own cases, run in the PostgreSQL project.
const databaseFree = [
  'tests/schema-files.test.ts',
  'tests/config.test.ts',
  'tests/scheduler.test.ts',
  'tests/layers.test.ts',
  'tests/document-cache.test.ts',
  'tests/push-endpoints.test.ts',
];
const postgresOnly = [
  'tests/cluster.test.ts',
  'tests/group-commit-postgres.test.ts',
  'tests/redis-restart.test.ts',
  'tests/broadcast-cluster.test.ts',
  'tests/push-cluster.test.ts',
];
// The web client's unit tests: no server, no database, run once.
const webUnit = 'tests/web/**';

const postgresUrl = process.env.TIDINGS_TEST_DATABASE_URL;
// Each project that `extends: true` loads this file again: the notice is said once per run.
const noticeSaid = globalThis as { tidingsPostgresNoticeSaid?: boolean };
if (!postgresUrl) {
  if (process.env.CI === 'true') {
    throw new Error('TIDINGS_TEST_DATABASE_URL is required when CI=true: the suite must also run on PostgreSQL.');
  }
  if (!noticeSaid.tidingsPostgresNoticeSaid)
    process.stderr.write(
      '\n⚠ Skipping the PostgreSQL run of the suite: TIDINGS_TEST_DATABASE_URL is not set ' +
        '(for example postgresql://postgres@127.0.0.1:5432/postgres).\n\n',
    );
  noticeSaid.tidingsPostgresNoticeSaid = true;
}

export default defineConfig({
  resolve: {
    // One graphql for all: Vite would pick graphql's ESM build for our files while Yoga and Pothos
    // load its CommonJS build through Node, and errors from one fail `instanceof` in the other.
    alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }],
  },
  test: {
    root,
    testTimeout: 20_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    // Two cores: more workers only make each server slower.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'web', include: ['tests/web/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['tests/**/*.test.ts'],
          exclude: [...postgresOnly, webUnit],
          env: { TIDINGS_TEST_PROVIDER: 'sqlite' },
        },
      },
      ...(postgresUrl
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgresql',
                include: ['tests/**/*.test.ts'],
                exclude: [...databaseFree, webUnit],
                env: { TIDINGS_TEST_PROVIDER: 'postgresql' },
              },
            },
          ]
        : []),
    ],
  },
});
