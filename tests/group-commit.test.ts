import type { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationEventPayload } from '../server/realtime/events.ts';
import { answerOf } from '../server/schema/errors.ts';
import { NoSuchRecipient } from '../server/store/errors.ts';
import { signUp, type TestUser } from './helpers/auth.ts';
import { provider } from './helpers/database.ts';
import { expectRefusedAlone, logOf, take, transactionsOf, whileRefusing } from './helpers/events.ts';
import { notify } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { subscribe } from './helpers/sse.ts';

// Creates that arrive together share one transaction (a group commit) on both engines. These
// tests call the app's notification service directly, so that the creates of one test really
// arrive in one event-loop turn, and watch the results as a client would: on its streams.
// PostgreSQL's own cases (lock waits, NUL characters, batch size) are in group-commit-postgres.test.ts.

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => server?.dispose());

const create = (recipientId: string, title: string) => server.app.notifications.create({ recipientId, title });

describe('creates that arrive together', () => {
  it('share one transaction; each user gets gap-free cursors in arrival order, exact unread counts, events in order', async () => {
    const [alice, bob, carol] = [await signUp(server), await signUp(server), await signUp(server)];
    // Alice starts with history: three notifications, one of them read (cursor 4, two unread).
    const earlier = [];
    for (const title of ['e1', 'e2', 'e3']) earlier.push(await notify(server, alice.headers, { title }));
    await server.app.notifications.markRead(alice.id, earlier[0]?.id as string);
    const users = [alice, bob, carol];
    const streams = users.map((user) => subscribe(server, user.headers));
    for (const stream of streams) await stream.next();
    // What the pub/sub carries, before the streams (which put late events back in cursor order).
    const published: NotificationEventPayload[] = [];
    const listening = users.map((user) => server.app.pubsub.listen(user.id, (event) => published.push(event)));

    const recipients = Array.from({ length: 40 }, (_, i) => [alice, bob, alice, carol, alice][i % 5] as TestUser);
    const created = await Promise.all(recipients.map((user, i) => create(user.id, `n${i}`)));

    if (provider === 'postgresql') expect(await transactionsOf(server, created)).toBe(1);
    const start = new Map([
      [alice.id, { seq: 4, unread: 2 }],
      [bob.id, { seq: 0, unread: 0 }],
      [carol.id, { seq: 0, unread: 0 }],
    ]);
    for (const [u, user] of users.entries()) {
      const { seq, unread } = start.get(user.id) as { seq: number; unread: number };
      const mine = created.filter((n) => n.recipientId === user.id);
      const sent = published.filter(
        (event) => event.type === 'NotificationCreated' && event.notification.recipientId === user.id,
      );
      expect(sent.map((event) => event.cursor)).toEqual(mine.map((_, i) => String(seq + i + 1)));
      const events = await take(streams[u] as ReturnType<typeof subscribe>, mine.length);
      expect(
        events.map((event) => [event.cursor, event.unreadCount, (event.notification as { id: string }).id]),
      ).toEqual(mine.map((n, i) => [String(seq + i + 1), unread + i + 1, n.id]));
      const log = await logOf(server, user);
      expect(log.map((row) => row.seq)).toEqual(Array.from({ length: seq + mine.length }, (_, i) => i + 1));
      expect(log.slice(seq).map((row) => row.unreadCount)).toEqual(mine.map((_, i) => unread + i + 1));
      streams[u]?.dispose();
      listening[u]?.stop();
    }
  });

  it('a missing recipient fails alone; the rest of its batch commits', async () => {
    const [alice, bob] = [await signUp(server), await signUp(server)];
    const results = await Promise.allSettled([
      create(alice.id, 'a1'),
      create('no-such-user', 'lost'),
      create(bob.id, 'b1'),
      create(alice.id, 'a2'),
    ]);

    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    // The store refuses with its own error; the schema answers it as GraphQL (schema/errors.ts).
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(NoSuchRecipient);
    const failure = answerOf((results[1] as PromiseRejectedResult).reason) as GraphQLError;
    expect(failure.message).toBe('recipientId: no user with id "no-such-user".');
    expect(failure.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'recipientId' });
    const done = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    if (provider === 'postgresql') expect(await transactionsOf(server, done)).toBe(1);
    expect((await logOf(server, alice)).map((row) => [row.seq, row.unreadCount])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect((await logOf(server, bob)).map((row) => [row.seq, row.unreadCount])).toEqual([[1, 1]]);
  });

  it('a create the database refuses fails alone; the others of its batch commit in order, gap-free', async () => {
    const alice = await signUp(server);
    const stream = subscribe(server, alice.headers);
    await stream.next();
    // A trigger that refuses one title: the batch's statements fail partway, after others wrote.
    try {
      await whileRefusing(server, 'boom', () => expectRefusedAlone(server, alice, stream, 'boom'));
    } finally {
      stream.dispose();
    }
  });

  it('mixed with mark-all-read for the same user, every event carries the exact unread count', async () => {
    const alice = await signUp(server);
    const stream = subscribe(server, alice.headers);
    await stream.next();
    // Rounds of five creates and a mark-all-read sent together: which of them reaches Alice's row
    // lock first varies, and each round starts from what the last one left.
    for (let round = 0; round < 10; round++) {
      const creates: (() => Promise<unknown>)[] = Array.from(
        { length: 5 },
        (_, i) => () => create(alice.id, `r${round}n${i}`),
      );
      creates.splice(round % 6, 0, () => server.app.notifications.markAllRead(alice.id));
      await Promise.all(creates.map((send) => send()));
    }

    // Replaying the log gives the count each event carries: +1 for a create, 0 after mark-all.
    const log = await logOf(server, alice);
    expect(log.map((row) => row.seq)).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));
    let unread = 0;
    const expected = log.map((row) => {
      unread = row.type === 'AllNotificationsRead' ? 0 : unread + 1;
      return [String(row.seq), row.type, unread];
    });
    const events = await take(stream, log.length);
    expect(events.map((event) => [event.cursor, event.__typename, event.unreadCount])).toEqual(expected);
    stream.dispose();
  });
});
