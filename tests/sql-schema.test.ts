import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './helpers/auth.ts';
import { startServer, type TestServer } from './helpers/server.ts';

// The raw SQL Tidings runs beside Prisma (the event log's engine modules, the stream start, the
// credential fast path) must agree with the Prisma schema, which stays the one source of the
// tables: every table and column the SQL names is one of Prisma's models and fields, and what the
// event log writes reads back through Prisma as the writer answered it, on both engines.

const root = path.join(import.meta.dirname, '..');
const rawSqlModules = [
  ...['sqlite.ts', 'postgres.ts', 'counts.ts', 'timers.ts', 'topics.ts'].map((file) => `server/store/${file}`),
  'server/auth/credentials.ts',
];

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => server?.dispose());

/** Prisma's data model as its client carries it (the generated client exports no `Prisma.dmmf`): fields by table name. */
function tablesOfPrisma(): Map<string, Set<string>> {
  const { models } = (
    server.app.db.prisma as unknown as {
      _runtimeDataModel: {
        models: Record<string, { dbName: string | null; fields: { name: string; kind: string }[] }>;
      };
    }
  )._runtimeDataModel;
  return new Map(
    Object.entries(models).map(([name, model]) => [
      model.dbName ?? name,
      new Set(model.fields.filter((field) => field.kind === 'scalar').map((field) => field.name)),
    ]),
  );
}

/** The SQL texts of a module: its string and template literals that read or write, with `${columns}` filled in. */
function statementsOf(file: string): string[] {
  const source = readFileSync(path.join(root, file), 'utf8');
  const columns = /const columns =\s*'([^']*)'/.exec(source)?.[1] ?? '';
  const literals = source.match(/'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g) ?? [];
  return literals
    .map((literal) => literal.slice(1, -1).replace(/\$\{columns\}/g, columns))
    .filter((text) => /\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\b/.test(text));
}

/** Every `table.column` a statement names, as far as its text tells: insert lists, SET targets, qualified and quoted names. */
function columnsNamed(text: string, tables: Map<string, Set<string>>): { table: string; column: string }[] {
  const unquote = (name: string) => name.replace(/"/g, '');
  const aliases = new Map<string, string>();
  for (const [, table, alias] of text.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE)\s+("?\w+"?)(?:\s+(?:AS\s+)?(\w+))?/gi)) {
    const name = unquote(table as string);
    if (!tables.has(name)) continue;
    aliases.set(name, name);
    if (alias && !/^(WHERE|SET|SELECT|VALUES|ON|ORDER|GROUP|JOIN)$/i.test(alias)) aliases.set(alias, name);
  }
  const named: { table: string; column: string }[] = [];
  const listed = (list: string) => list.split(',').map((column) => unquote(column.trim()));
  for (const [, table, list] of text.matchAll(/INSERT INTO ("?\w+"?) \(([^)]*)\)/g)) {
    for (const column of listed(list as string)) named.push({ table: unquote(table as string), column });
  }
  for (const [, table, rest] of text.matchAll(/UPDATE ("?\w+"?)(?: AS \w+)? SET (.*?)(?: FROM | WHERE |$)/gs)) {
    for (const [, column] of (rest as string).matchAll(/("?\w+"?) =/g)) {
      named.push({ table: unquote(table as string), column: unquote(column as string) });
    }
  }
  for (const [, alias, column] of text.matchAll(/\b(\w+)\.("?\w+"?)/g)) {
    const table = aliases.get(alias as string);
    if (table) named.push({ table, column: unquote(column as string) });
  }
  // A quoted name that is not an output alias (AS "x") nor a table must be a column of a table the statement names.
  const own = [...new Set(aliases.values())];
  for (const [, before, column] of text.matchAll(/(AS\s+|\.)?"(\w+)"/g)) {
    if (before || tables.has(column as string)) continue;
    const table = own.find((name) => tables.get(name)?.has(column as string)) ?? own.join('|');
    named.push({ table, column: column as string });
  }
  return named;
}

describe('raw SQL agrees with the Prisma schema', () => {
  it.each(rawSqlModules)('every table and column %s names is in the Prisma schema', (file) => {
    const tables = tablesOfPrisma();
    const statements = statementsOf(file);
    expect(statements.length).toBeGreaterThan(0);
    const unknown: string[] = [];
    for (const text of statements) {
      for (const { table, column } of columnsNamed(text, tables)) {
        if (!tables.get(table)?.has(column)) unknown.push(`${table}.${column} in: ${text.replace(/\s+/g, ' ')}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it("the engine modules' notification columns are exactly Prisma's Notification fields", () => {
    const fields = tablesOfPrisma().get('notification');
    for (const file of ['server/store/sqlite.ts', 'server/store/postgres.ts']) {
      const columns = /const columns =\s*'([^']*)'/.exec(readFileSync(path.join(root, file), 'utf8'))?.[1] ?? '';
      expect(new Set(columns.split(',').map((column) => column.trim().replace(/"/g, '')))).toEqual(fields);
    }
  });

  it('what the event log writes reads back through Prisma as the writer answered it', async () => {
    const alice = await signUp(server);
    const { notifications, db } = server.app;
    const created = await notifications.create({
      recipientId: alice.id,
      title: 'Build finished',
      body: 'All 42 checks passed — ✓',
      kind: 'ci.build',
      url: 'https://ci.example.com/builds/42',
      data: { build: 42, tags: ['main'], nested: { ok: true, none: null }, ratio: 0.5 },
    });
    expect(await db.prisma.notification.findUniqueOrThrow({ where: { id: created.id } })).toEqual(created);
    const plain = await notifications.create({ recipientId: alice.id, title: 'plain' });
    expect(await db.prisma.notification.findUniqueOrThrow({ where: { id: plain.id } })).toEqual(plain);

    const read = await notifications.markRead(alice.id, created.id);
    expect(read.readAt).toBeInstanceOf(Date);
    expect(await db.prisma.notification.findUniqueOrThrow({ where: { id: created.id } })).toEqual(read);
    // Marking it read again answers the row as it is, read back by the writer's own SQL.
    expect(await notifications.markRead(alice.id, created.id)).toEqual(read);
    const { readAt } = await notifications.markAllRead(alice.id);
    expect((await db.prisma.notification.findUniqueOrThrow({ where: { id: plain.id } })).readAt).toEqual(readAt);
    await notifications.delete(alice.id, plain.id);

    const log = await db.prisma.userEvent.findMany({ where: { userId: alice.id }, orderBy: { seq: 'asc' } });
    expect(log.map((row) => [row.seq, row.type, (row.payload as { cursor: string }).cursor])).toEqual([
      [1, 'NotificationCreated', '1'],
      [2, 'NotificationCreated', '2'],
      [3, 'NotificationRead', '3'],
      [4, 'AllNotificationsRead', '4'],
      [5, 'NotificationDeleted', '5'],
    ]);
    expect(log[0]?.createdAt).toEqual(created.createdAt);
    expect(log[3]?.createdAt).toEqual(readAt);
    expect((await db.prisma.user.findUniqueOrThrow({ where: { id: alice.id } })).lastEventSeq).toBe(5);
  });
});
