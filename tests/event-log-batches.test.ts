import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationEventPayload } from '../server/realtime/events.ts';
import { sqliteFile } from '../server/store/db.ts';
import { NotFound } from '../server/store/errors.ts';
import { signUp, type TestUser } from './helpers/auth.ts';
import { provider } from './helpers/database.ts';
import { logOf, sql, take, transactionsOf, whileRefusing } from './helpers/events.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { subscribe } from './helpers/sse.ts';

/** A case of SQLite's own: not registered on PostgreSQL, rather than reported there as skipped. */
function sqliteOnly(name: string, test: () => Promise<void>) {
  if (provider === 'sqlite') it(name, test);
}

// Every kind of change goes through the one event-log writer: reads, read-alls and deletes join
// the creates of their event-loop turn in one group commit, in arrival order, on both engines.

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => server?.dispose());

const service = () => server.app.notifications;

/** Three notifications for `user`, the first read: cursor 4, two unread. */
async function history(user: TestUser) {
  const made = [];
  for (const title of ['h1', 'h2', 'h3']) made.push(await service().create({ recipientId: user.id, title }));
  await service().markRead(user.id, made[0]?.id as string);
  return made.map((n) => n.id) as [string, string, string];
}

/** Which xmin (PostgreSQL's writing transaction) each of these rows has. */
async function transactionIdsOf(table: 'notification' | 'user_event', where: string, params: unknown[]) {
  const rows = await sql<{ xmin: string }>(
    server,
    `SELECT DISTINCT xmin::text AS xmin FROM ${table} WHERE ${where}`,
    params,
  );
  return rows.map((row) => row.xmin);
}

describe('changes of every kind in one group commit', () => {
  it('apply in arrival order; each event has the next cursor and the exact unread count; no-ops and unknown ids log nothing', async () => {
    const alice = await signUp(server);
    const [h1, h2, h3] = await history(alice);
    const stream = subscribe(server, alice.headers);
    await stream.next();
    const published: NotificationEventPayload[] = [];
    const listening = server.app.pubsub.listen(alice.id, (event) => published.push(event));

    const results = await Promise.allSettled([
      service().create({ recipientId: alice.id, title: 'a1' }),
      service().markRead(alice.id, h2),
      service().create({ recipientId: alice.id, title: 'a2' }),
      service().delete(alice.id, h3),
      service().markRead(alice.id, h1), // read already: no event
      service().markRead(alice.id, 'no-such-id'),
      service().markAllRead(alice.id),
      service().markAllRead(alice.id), // nothing unread any more: no event
      service().create({ recipientId: alice.id, title: 'a3' }),
      service().delete(alice.id, 'no-such-id'),
    ]);

    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
    ]);
    for (const i of [5, 9]) {
      const reason = (results[i] as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(NotFound);
      expect(reason.message).toBe('No notification with id "no-such-id".');
    }
    const value = (i: number) => (results[i] as PromiseFulfilledResult<unknown>).value;
    expect(value(1)).toMatchObject({ id: h2, readAt: expect.any(Date) });
    expect(value(3)).toBe(h3);
    expect(value(4)).toMatchObject({ id: h1, readAt: expect.any(Date) });
    expect(value(6)).toMatchObject({ count: 2 });
    expect(value(7)).toMatchObject({ count: 0 });

    const expected = [
      ['5', 'NotificationCreated', 3],
      ['6', 'NotificationRead', 2],
      ['7', 'NotificationCreated', 3],
      ['8', 'NotificationDeleted', 2],
      ['9', 'AllNotificationsRead', 0],
      ['10', 'NotificationCreated', 1],
    ];
    expect(published.map((event) => [event.cursor, event.type, event.unreadCount])).toEqual(expected);
    const events = await take(stream, expected.length);
    expect(events.map((event) => [event.cursor, event.__typename, event.unreadCount])).toEqual(expected);
    const log = await logOf(server, alice);
    expect(log.map((row) => [String(row.seq), row.type, row.unreadCount])).toEqual([
      ['1', 'NotificationCreated', 1],
      ['2', 'NotificationCreated', 2],
      ['3', 'NotificationCreated', 3],
      ['4', 'NotificationRead', 2],
      ...expected,
    ]);
    if (provider === 'postgresql') {
      const created = [value(0), value(2), value(8)] as Parameters<typeof transactionsOf>[1];
      expect(await transactionsOf(server, created)).toBe(1);
      const writers = await transactionIdsOf('user_event', '"userId" = $1 AND seq > 4', [alice.id]);
      expect(writers).toEqual(await transactionIdsOf('notification', 'id = ANY($1)', [created.map((n) => n.id)]));
    }
    listening.stop();
    stream.dispose();
  });

  it('a change the database refuses fails alone; the reads and deletes of its batch commit, gap-free', async () => {
    const alice = await signUp(server);
    const [h1, h2] = await history(alice);
    await whileRefusing(server, 'boom', async () => {
      const results = await Promise.allSettled([
        service().markRead(alice.id, h2),
        service().create({ recipientId: alice.id, title: 'boom' }),
        service().delete(alice.id, h1),
        service().create({ recipientId: alice.id, title: 'after' }),
      ]);
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    });
    expect((await logOf(server, alice)).slice(4).map((row) => [row.seq, row.type, row.unreadCount])).toEqual([
      [5, 'NotificationRead', 1],
      [6, 'NotificationDeleted', 1],
      [7, 'NotificationCreated', 2],
    ]);
  });

  it('a missing recipient fails alone among changes of other kinds', async () => {
    const alice = await signUp(server);
    const [, h2] = await history(alice);
    const results = await Promise.allSettled([
      service().markRead(alice.id, h2),
      service().create({ recipientId: 'no-such-user', title: 'lost' }),
      service().markAllRead(alice.id),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await logOf(server, alice)).slice(4).map((row) => [row.seq, row.type, row.unreadCount])).toEqual([
      [5, 'NotificationRead', 1],
      [6, 'AllNotificationsRead', 0],
    ]);
  });

  // PostgreSQL has no database-wide write lock to hold.
  sqliteOnly(
    'on SQLite, changes wait while another connection holds the write lock, then commit in order',
    async () => {
      const alice = await signUp(server);
      const [, h2] = await history(alice);
      // Another connection to the file (Prisma's, another process) in the middle of a write.
      const other = new Database(sqliteFile(server.config.databaseUrl));
      other.exec('BEGIN IMMEDIATE');
      const writes = Promise.allSettled([
        service().create({ recipientId: alice.id, title: 'waited' }),
        service().markRead(alice.id, h2),
      ]);
      // Several turns of the event loop: the batch meets SQLITE_BUSY and tries again meanwhile.
      for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
      other.exec('COMMIT');
      other.close();
      expect((await writes).map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
      expect((await logOf(server, alice)).slice(4).map((row) => [row.seq, row.type, row.unreadCount])).toEqual([
        [5, 'NotificationCreated', 3],
        [6, 'NotificationRead', 2],
      ]);
    },
  );
});
