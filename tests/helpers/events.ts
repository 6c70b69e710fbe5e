import pg from 'pg';
import { expect } from 'vitest';
import type { Notification } from '../../server/generated/prisma/sqlite/client.ts';
import type { TestUser } from './auth.ts';
import { provider } from './database.ts';
import type { TestServer } from './server.ts';
import type { StreamEventResult, TestSubscription } from './sse.ts';

/** The next `count` events of a stream, heartbeats left out. */
export async function take(stream: TestSubscription, count: number) {
  const events: StreamEventResult[] = [];
  while (events.length < count) {
    events.push(await stream.waitFor((event) => event.__typename !== 'NotificationStreamHeartbeat', 10_000));
  }
  return events;
}

/** A user's event log as the database holds it: each row's seq, type and unread count. */
export async function logOf(server: TestServer, user: TestUser) {
  const rows = await server.app.db.prisma.userEvent.findMany({ where: { userId: user.id }, orderBy: { seq: 'asc' } });
  return rows.map((row) => ({ seq: row.seq, ...(row.payload as { type: string; unreadCount: number }) }));
}

/** One query on the test's own connection to the server's PostgreSQL database. */
export async function sql<T>(server: TestServer, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: server.config.databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** In how many PostgreSQL transactions these notifications were written (rows one transaction wrote share its xmin). */
export async function transactionsOf(server: TestServer, notifications: Notification[]) {
  const [row] = await sql<{ n: number }>(
    server,
    'SELECT COUNT(DISTINCT xmin::text)::int AS n FROM notification WHERE id = ANY($1)',
    [notifications.map((n) => n.id)],
  );
  return row?.n;
}

/** Runs `run` while a trigger makes the database refuse notifications titled `title` (a failure partway through a batch). */
export async function whileRefusing(server: TestServer, title: string, run: () => Promise<void>) {
  const postgres = provider === 'postgresql';
  const refuse = postgres
    ? [
        `CREATE FUNCTION refuse_title() RETURNS trigger AS $$ BEGIN IF NEW.title = '${title}' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`,
        'CREATE TRIGGER refuse_title BEFORE INSERT ON notification FOR EACH ROW EXECUTE FUNCTION refuse_title()',
      ]
    : [
        `CREATE TRIGGER refuse_title BEFORE INSERT ON notification WHEN NEW.title = '${title}' BEGIN SELECT RAISE(ABORT, 'refused'); END`,
      ];
  for (const statement of refuse) await server.app.db.prisma.$executeRawUnsafe(statement);
  try {
    await run();
  } finally {
    await server.app.db.prisma.$executeRawUnsafe(`DROP TRIGGER refuse_title${postgres ? ' ON notification' : ''}`);
    if (postgres) await server.app.db.prisma.$executeRawUnsafe('DROP FUNCTION refuse_title()');
  }
}

/**
 * Sends three creates for `user` at once, the middle one with `refusedTitle`, and checks what a
 * client sees when the database refuses that one: it alone fails; the others commit with
 * gap-free cursors and exact unread counts, in order, on the stream and in the log.
 */
export async function expectRefusedAlone(
  server: TestServer,
  user: TestUser,
  stream: TestSubscription,
  refusedTitle: string,
) {
  const create = (title: string) => server.app.notifications.create({ recipientId: user.id, title });
  const results = await Promise.allSettled([create('a'), create(refusedTitle), create('c')]);
  expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  const events = await take(stream, 2);
  expect(
    events.map((event) => [event.cursor, event.unreadCount, (event.notification as { title: string }).title]),
  ).toEqual([
    ['1', 1, 'a'],
    ['2', 2, 'c'],
  ]);
  expect((await logOf(server, user)).map((row) => row.seq)).toEqual([1, 2]);
}

/** A `NotificationCreated` event of 8 KB, as the pub/sub carries it: for filling a stream's buffers. */
export function bigEvent(userId: string, seq: number) {
  return {
    type: 'NotificationCreated' as const,
    cursor: String(seq),
    unreadCount: seq,
    counts: { unread: seq, unseen: seq, unreadByKind: [{ kind: 'info', unread: seq }] },
    notification: {
      id: `big-${seq}`,
      recipientId: userId,
      kind: 'info',
      title: `big ${seq}`,
      body: 'x'.repeat(8 * 1024),
      url: null,
      data: null,
      readAt: null,
      createdAt: new Date().toISOString(),
      seenAt: null,
      archivedAt: null,
      snoozedUntil: null,
      expiresAt: null,
      actions: [],
      actedAt: null,
      actionId: null,
      groupKey: null,
      groupCount: 1,
    },
  };
}
