import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentialChecker } from '../server/auth/credentials.ts';
import { connectDatabase } from '../server/store/db.ts';
import { createNotificationService } from '../server/store/notifications.ts';
import { createApiKey, signUp } from './helpers/auth.ts';
import { expectRefusedAlone, logOf, sql, transactionsOf } from './helpers/events.ts';
import { notify } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { subscribe } from './helpers/sse.ts';

// The group commit's PostgreSQL cases: a batch waiting on a user's row lock, batches in flight
// side by side, a row the database refuses inside a batch, a burst larger than one batch, and the
// API-key reads that share a statement. Only the PostgreSQL project runs this
// file (tests/vitest.config.ts).

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => server?.dispose());

const create = (recipientId: string, title: string) => server.app.notifications.create({ recipientId, title });

/** Statements of this database waiting for a lock now. */
const lockWaits = async () =>
  (
    await sql<{ n: number }>(
      server,
      `SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    )
  )[0]?.n;

/** Another process' transaction holding a user's row lock, as the event log takes it, until its COMMIT. */
async function holdLock(userId: string): Promise<pg.Client> {
  const holder = new pg.Client({ connectionString: server.config.databaseUrl });
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query('SELECT id FROM "user" WHERE id = $1 FOR NO KEY UPDATE', [userId]);
  return holder;
}

describe('group commit on PostgreSQL', () => {
  it('a batch waiting for a user reads the unread count after the write it waited for committed', async () => {
    const alice = await signUp(server);
    for (const title of ['e1', 'e2', 'e3', 'e4']) await notify(server, alice.headers, { title });

    // Another process' write holds Alice's row lock; a mark-all-read queues behind it, then a
    // batch of creates queues behind the mark-all-read. PostgreSQL grants the lock in that order.
    // The mark-all-read comes from a second writer on the database (another instance, as far as
    // PostgreSQL can tell), so the creates queue behind it whatever this instance has in flight.
    const holder = await holdLock(alice.id);
    const otherInstance = await connectDatabase(server.config.databaseUrl);
    const markAll = createNotificationService(otherInstance, server.app.pubsub).markAllRead(alice.id);
    await expect.poll(lockWaits).toBe(1);
    const creates = Promise.all(['c1', 'c2', 'c3'].map((title) => create(alice.id, title)));
    await expect.poll(lockWaits).toBe(2);
    await holder.query('COMMIT');
    await holder.end();
    expect(await markAll).toMatchObject({ count: 4 });
    await creates;
    await otherInstance.close();

    // The mark-all-read committed after the batch began waiting, before the batch went on: a
    // count read with a snapshot from before the wait would say 5, 6, 7.
    expect((await logOf(server, alice)).slice(4).map((row) => [row.seq, row.type, row.unreadCount])).toEqual([
      [5, 'AllNotificationsRead', 0],
      [6, 'NotificationCreated', 1],
      [7, 'NotificationCreated', 2],
      [8, 'NotificationCreated', 3],
    ]);
  });

  it('a batch waiting for one user does not hold up the others; the waiting user keeps arrival order', async () => {
    const [alice, bob] = [await signUp(server), await signUp(server)];
    const holder = await holdLock(alice.id);
    try {
      const first = create(alice.id, 'a1');
      await expect.poll(lockWaits).toBe(1);
      const second = create(alice.id, 'a2');
      await expect.poll(lockWaits).toBe(2);
      // With one batch in flight, Bob's create would wait behind Alice's lock.
      const forBob = await create(bob.id, 'b1');
      expect(forBob.title).toBe('b1');
      await holder.query('COMMIT');
      await Promise.all([first, second]);
    } finally {
      await holder.end();
    }
    expect((await logOf(server, alice)).map((row) => [row.seq, row.type])).toEqual([
      [1, 'NotificationCreated'],
      [2, 'NotificationCreated'],
    ]);
    const titles = await server.app.db.prisma.notification.findMany({
      where: { recipientId: alice.id },
      orderBy: { createdAt: 'asc' },
      select: { title: true },
    });
    expect(titles.map((row) => row.title)).toEqual(['a1', 'a2']);
  });

  it('the API-key reads of one turn of the event loop share one statement and answer each key', async () => {
    const users = await Promise.all(Array.from({ length: 3 }, () => signUp(server)));
    const keys = await Promise.all(users.map((user) => createApiKey(server, user)));
    const pool = (server.app.db.sql as unknown as { pool: pg.Pool }).pool;
    const query = pool.query.bind(pool);
    let statements = 0;
    pool.query = ((...args: Parameters<typeof query>) => {
      statements++;
      return query(...args);
    }) as typeof pool.query;
    try {
      const asked = [...keys, ...keys, { 'x-api-key': 'tidings_not_a_key' }];
      const credentials = createCredentialChecker({ auth: server.app.auth, db: server.app.db });
      const owners = await Promise.all(asked.map((headers) => credentials.apiKey(headers['x-api-key'] as string)));
      expect(owners.map((owner) => owner?.userId ?? null)).toEqual(
        [...users, ...users, null].map((u) => u?.id ?? null),
      );
      expect(statements).toBe(1);
    } finally {
      pool.query = query;
    }
  });

  it('a create the database refuses fails alone; the others of its batch commit in order, gap-free', async () => {
    const alice = await signUp(server);
    const stream = subscribe(server, alice.headers);
    await stream.next();
    // PostgreSQL refuses a NUL character in text, which the input rules let through.
    await expectRefusedAlone(server, alice, stream, 'b\u0000');
    stream.dispose();
  });

  it('a burst larger than one batch is written in several, still in order', async () => {
    const [alice, bob] = [await signUp(server), await signUp(server)];
    const created = await Promise.all(Array.from({ length: 250 }, (_, i) => create((i % 3 ? alice : bob).id, `n${i}`)));

    expect(await transactionsOf(server, created)).toBe(2);
    for (const user of [alice, bob]) {
      const mine = created.filter((n) => n.recipientId === user.id);
      const log = await server.app.db.prisma.userEvent.findMany({
        where: { userId: user.id },
        orderBy: { seq: 'asc' },
      });
      expect(log.map((row) => [row.seq, (row.payload as { notification: { id: string } }).notification.id])).toEqual(
        mine.map((n, i) => [i + 1, n.id]),
      );
    }
  });
});
