import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationPubSub } from '../server/realtime/pubsub.ts';
import { createNotificationService } from '../server/store/notifications.ts';
import { signUp } from './helpers/auth.ts';
import { gql, notify } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { type StreamEventResult, subscribe } from './helpers/sse.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => server?.dispose());

async function take(stream: ReturnType<typeof subscribe>, count: number) {
  const events: StreamEventResult[] = [];
  while (events.length < count) {
    events.push(await stream.waitFor((event) => event.__typename !== 'NotificationStreamHeartbeat', 10_000));
  }
  return events;
}

describe('the per-user event log under concurrency', () => {
  it('concurrent writes for one user commit in cursor order: gap-free cursors, exact unread counts', async () => {
    const alice = await signUp(server);
    const bob = await signUp(server);
    const aliceStream = subscribe(server, alice.headers);
    const bobStream = subscribe(server, bob.headers);
    await aliceStream.next();
    await bobStream.next();

    const perUser = 30;
    await Promise.all(
      Array.from({ length: perUser * 2 }, (_, i) =>
        notify(server, i % 2 ? bob.headers : alice.headers, { title: `burst ${i}` }),
      ),
    );

    for (const [user, stream] of [
      [alice, aliceStream],
      [bob, bobStream],
    ] as const) {
      const events = await take(stream, perUser);
      // Every create adds one unread notification, so after the n-th event exactly n are unread:
      // a count read outside the user's lock, or cursors handed out before commit, would break this.
      expect(events.map((event) => [event.cursor, event.unreadCount])).toEqual(
        Array.from({ length: perUser }, (_, i) => [String(i + 1), i + 1]),
      );
      const log = await server.app.db.prisma.userEvent.findMany({
        where: { userId: user.id },
        orderBy: { seq: 'asc' },
      });
      expect(log.map((row) => row.seq)).toEqual(Array.from({ length: perUser }, (_, i) => i + 1));
      stream.dispose();
    }
  });

  it('concurrent mark-read, mark-all and delete keep the unread count of each event true', async () => {
    const alice = await signUp(server);
    const created = [];
    for (let i = 0; i < 12; i++) created.push(await notify(server, alice.headers, { title: `n${i}` }));
    const stream = subscribe(server, alice.headers);
    expect(await stream.next()).toMatchObject({ cursor: '12', unreadCount: 12 });

    await Promise.all([
      ...created
        .slice(0, 6)
        .map((n) =>
          gql(server, 'mutation($id: ID!) { markNotificationRead(id: $id) { id } }', { id: n.id }, alice.headers),
        ),
      ...created
        .slice(6, 9)
        .map((n) => gql(server, 'mutation($id: ID!) { deleteNotification(id: $id) }', { id: n.id }, alice.headers)),
      gql(server, 'mutation { markAllNotificationsRead { count } }', {}, alice.headers),
    ]);
    const last = await server.app.db.prisma.user.findUniqueOrThrow({ where: { id: alice.id } });
    const events = await take(stream, last.lastEventSeq - 12);
    expect(events.map((event) => event.cursor)).toEqual(
      Array.from({ length: last.lastEventSeq - 12 }, (_, i) => String(13 + i)),
    );
    // Replaying the log from a known state gives the same count each event carries.
    const log = await server.app.db.prisma.userEvent.findMany({
      where: { userId: alice.id, seq: { gt: 12 } },
      orderBy: { seq: 'asc' },
    });
    const unread = new Set(created.map((n) => n.id));
    for (const [i, row] of log.entries()) {
      const event = row.payload as { type: string; notification?: { id: string }; notificationId?: string };
      if (event.type === 'NotificationRead' && event.notification) unread.delete(event.notification.id);
      if (event.type === 'NotificationDeleted' && event.notificationId) unread.delete(event.notificationId);
      if (event.type === 'AllNotificationsRead') unread.clear();
      expect(events[i]?.unreadCount).toBe(unread.size);
    }
    expect(events.at(-1)?.unreadCount).toBe(0);
    stream.dispose();
  });

  it('an event lost between the database and the stream is read back from the log', async () => {
    const alice = await signUp(server);
    const stream = subscribe(server, alice.headers);
    await stream.next();
    // A write whose publish never reaches this process (as when a pub/sub message is dropped).
    const deaf: NotificationPubSub = { ...server.app.pubsub, publish: () => undefined };
    const lost = await createNotificationService(server.app.db, deaf).create({ recipientId: alice.id, title: 'lost' });
    const next = await notify(server, alice.headers, { title: 'next' });

    const events = await take(stream, 2);
    expect(events).toMatchObject([
      { __typename: 'NotificationCreated', cursor: '1', notification: { id: lost.id } },
      { __typename: 'NotificationCreated', cursor: '2', notification: { id: next.id } },
    ]);
    stream.dispose();
  });
});
