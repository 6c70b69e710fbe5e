import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../server/app.ts';
import type { Logger } from '../server/log.ts';
import { signUp, type TestUser } from './helpers/auth.ts';
import { provider } from './helpers/database.ts';
import { logOf } from './helpers/events.ts';
import { startServer, type TestServer } from './helpers/server.ts';

// Snoozes that end and notifications that expire are durable (server/store/timers.ts): they fire
// across a restart, with no one connected, and once only with two instances on one PostgreSQL.

/** A case of PostgreSQL's own (several instances on one database): not registered on SQLite. */
function postgresOnly(name: string, test: () => Promise<void>) {
  if (provider === 'postgresql') it(name, test, 30_000);
}

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => server?.dispose());

const service = () => server.app.notifications;
const inMs = (ms: number) => new Date(Date.now() + ms);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The types of a user's logged events, polled until `done` holds or five seconds passed. */
async function typesOf(user: TestUser, done: (types: string[]) => boolean = () => true) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const types = (await logOf(server, user)).map((row) => row.type);
    if (done(types) || Date.now() > deadline) return types;
    await sleep(100);
  }
}

describe('time-driven events', () => {
  it('a snooze that ended and an expiry that came due while the server was down fire at start, once', async () => {
    const alice = await signUp(server);
    const snoozed = await service().create({ recipientId: alice.id, title: 'snoozed' });
    await service().update(alice.id, snoozed.id, { op: 'snooze', until: inMs(1_500) });
    const expiring = await service().create({ recipientId: alice.id, title: 'expiring', expiresAt: inMs(1_500) });
    await server.stop();
    await sleep(2_000);
    expect((await logOf(server, alice)).map((row) => row.type)).toEqual([
      'NotificationCreated',
      'NotificationSnoozed',
      'NotificationCreated',
    ]);

    await server.start();
    const types = await typesOf(alice, (logged) => logged.length >= 5);
    expect(types.slice(0, 3)).toEqual(['NotificationCreated', 'NotificationSnoozed', 'NotificationCreated']);
    expect(types.slice(3).sort()).toEqual(['NotificationExpired', 'NotificationWoke']);
    // A second sweep finds nothing left to do.
    expect(await server.app.due.sweep()).toBe(0);
    expect((await logOf(server, alice)).length).toBe(5);
    const rows = await server.app.db.prisma.notification.findMany({ where: { recipientId: alice.id } });
    expect(rows.find((row) => row.id === snoozed.id)?.snoozedUntil).toBeNull();
    expect(rows.find((row) => row.id === expiring.id)?.expiredAt).toBeInstanceOf(Date);
    expect(await service().counts(alice.id)).toEqual({
      unread: 1,
      unseen: 1,
      unreadByKind: [{ kind: 'info', unread: 1 }],
    });
  });

  it('a later snooze set before the first one came due keeps the notification asleep', async () => {
    const bob = await signUp(server);
    const made = await service().create({ recipientId: bob.id, title: 'x' });
    await service().update(bob.id, made.id, { op: 'snooze', until: inMs(800) });
    await service().update(bob.id, made.id, { op: 'snooze', until: inMs(3_600_000) });
    await sleep(1_500);
    await server.app.due.sweep();
    expect(await typesOf(bob)).toEqual(['NotificationCreated', 'NotificationSnoozed', 'NotificationSnoozed']);
  });

  postgresOnly('two instances on one PostgreSQL log each wake and each expiry exactly once', async () => {
    const lines: string[] = [];
    const quiet: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (msg) => lines.push(msg),
      error: (msg) => lines.push(msg),
    };
    const second: App = await buildApp({ ...server.config, port: 0 }, quiet);
    await second.start();
    try {
      const users = await Promise.all([signUp(server), signUp(server), signUp(server)]);
      const due = inMs(1_500);
      for (const user of users) {
        for (let n = 0; n < 10; n++) {
          // Half made on each instance, so each nudges its own timer for some.
          const app = n % 2 ? second : server.app;
          const made = await app.notifications.create({ recipientId: user.id, title: `n${n}` });
          await app.notifications.update(user.id, made.id, { op: 'snooze', until: due });
          await app.notifications.create({ recipientId: user.id, title: `e${n}`, expiresAt: due });
        }
      }
      await sleep(Math.max(0, due.getTime() - Date.now()));
      // Both instances' timers are due now; explicit sweeps on both race with them as well.
      await Promise.all([server.app.due.sweep(), second.due.sweep(), server.app.due.sweep(), second.due.sweep()]);
      for (const user of users) {
        const types = await typesOf(user, (logged) => logged.length >= 50);
        expect(types.filter((type) => type === 'NotificationWoke')).toHaveLength(10);
        expect(types.filter((type) => type === 'NotificationExpired')).toHaveLength(10);
        expect(types).toHaveLength(50);
        expect((await logOf(server, user)).map((row) => row.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      }
      expect(lines).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});
