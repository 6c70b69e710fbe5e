// Configuration for the Prisma CLI (`prisma generate` and `prisma migrate diff` in
// prisma/generate.ts). The JavaScript engine keeps the CLI offline: no native engine is
// downloaded. The server never uses the CLI: it applies migrations itself (server/migrate.ts).
import path from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { defineConfig } from 'prisma/config';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(import.meta.dirname, 'schema.prisma'),
  adapter: async () => new PrismaBetterSQLite3({ url: 'file::memory:' }),
});
