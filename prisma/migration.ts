// `npm run db:migration -- <name>`: after a change to prisma/schema.prisma, writes the SQL that
// brings each provider's database from the last migrated schema to the current one, as
// prisma/migrations/<provider>/<timestamp>_<name>/migration.sql, and records the new schema as
// prisma/migrations/<provider>/schema.prisma (what the migrations add up to).
// `--check` changes nothing and exits 1 when the migrations are behind the schema.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { derivePostgresSchema, type Provider, prismaDir, providers, sqliteSchemaPath } from './derive.ts';

const args = process.argv.slice(2);
const check = args.includes('--check');
const name = args.find((arg) => !arg.startsWith('--'));
if (!check && !name?.match(/^[a-z0-9_]+$/)) {
  process.stderr.write('usage: npm run db:migration -- <name in lower_snake_case>   (or --check)\n');
  process.exit(2);
}

const prismaBin = path.join(prismaDir, '..', 'node_modules', '.bin', 'prisma');
const config = path.join(prismaDir, 'prisma.config.ts');
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
let behind = false;

for (const provider of providers) {
  const dir = path.join(prismaDir, 'migrations', provider);
  const snapshot = path.join(dir, 'schema.prisma');
  const current = provider === 'sqlite' ? readFileSync(sqliteSchemaPath, 'utf8') : derivePostgresSchema();
  const previous = existsSync(snapshot) ? readFileSync(snapshot, 'utf8') : null;
  const sql = diff(provider, previous, current);
  if (check) {
    if (sql) {
      behind = true;
      process.stderr.write(`${provider}: the migrations are behind prisma/schema.prisma:\n${sql}\n`);
    }
    continue;
  }
  mkdirSync(dir, { recursive: true });
  if (sql) {
    const folder = path.join(dir, `${stamp}_${name}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'migration.sql'), sql);
    process.stdout.write(`${provider}: wrote ${path.relative(process.cwd(), folder)}/migration.sql\n`);
  } else {
    process.stdout.write(`${provider}: no change to the database\n`);
  }
  writeFileSync(snapshot, current);
}
if (behind) {
  process.stderr.write('Run `npm run db:migration -- <name>` and commit the result.\n');
  process.exit(1);
}

/** The SQL from one schema to another (from nothing when `from` is null); '' when they agree. */
function diff(provider: Provider, from: string | null, to: string): string {
  const tmp = path.join(tmpdir(), 'tidings-migration-diff', provider);
  mkdirSync(tmp, { recursive: true });
  const toFile = path.join(tmp, 'to.prisma');
  writeFileSync(toFile, to);
  const fromArgs = from === null ? ['--from-empty'] : ['--from-schema-datamodel', write('from.prisma', from)];
  const out = execFileSync(
    prismaBin,
    ['migrate', 'diff', '--config', config, ...fromArgs, '--to-schema-datamodel', toFile, '--script'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return /^-- This is an empty migration\.\s*$/.test(out.trim()) ? '' : out;

  function write(file: string, text: string) {
    const full = path.join(tmp, file);
    writeFileSync(full, text);
    return full;
  }
}
