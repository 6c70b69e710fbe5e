import pg from 'pg';
import type { Notification } from '../../server/generated/prisma/sqlite/client.ts';
import type { TestUser } from './auth.ts';
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
  const rows = await server.app.db.userEvent.findMany({ where: { userId: user.id }, orderBy: { seq: 'asc' } });
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
