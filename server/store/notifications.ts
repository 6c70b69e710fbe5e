import { randomFillSync } from 'node:crypto';
import type { Notification, Prisma } from '../generated/prisma/sqlite/client.ts';
import type { Metrics } from '../metrics.ts';
import type { NotificationPubSub } from '../realtime/pubsub.ts';
import type { Database } from './db.ts';
import { EventLog } from './event-log.ts';
import { createPostgresEngine } from './postgres.ts';
import { createSqliteEngine } from './sqlite.ts';

export interface NewNotification {
  recipientId: string;
  title: string;
  body?: string | null;
  kind?: string | null;
  url?: string | null;
  data?: Prisma.InputJsonValue | null;
}

export interface MarkAllReadResult {
  readAt: Date;
  count: number;
}

/**
 * Every write to notifications, as the schema calls them. Each is one change appended to the
 * recipient's event log (event-log.ts): written with its event in one transaction, published after
 * it committed. Refusals are the store's own errors (errors.ts): NotFound, NoSuchRecipient. A
 * write that changes nothing (marking a read notification read, or all read when none is unread)
 * logs no event.
 */
export interface NotificationService {
  create(input: NewNotification): Promise<Notification>;
  markRead(userId: string, id: string): Promise<Notification>;
  markAllRead(userId: string): Promise<MarkAllReadResult>;
  delete(userId: string, id: string): Promise<string>;
}

export function createNotificationService(
  db: Database,
  pubsub: NotificationPubSub,
  metrics?: Metrics,
): NotificationService {
  const engine = db.sql.engine === 'sqlite' ? createSqliteEngine(db.sql) : createPostgresEngine(db.sql);
  const log = new EventLog({ engine, pubsub, metrics });
  const ids = new IdMaker();
  return {
    create: (input) => log.append({ kind: 'create', notification: newNotification(ids.next(), input) }),
    markRead: (userId, id) => log.append({ kind: 'read', userId, id, at: new Date() }),
    markAllRead: (userId) => log.append({ kind: 'readAll', userId, at: new Date() }),
    delete: (userId, id) => log.append({ kind: 'delete', userId, id, at: new Date() }),
  };
}

function newNotification(id: string, input: NewNotification): Notification {
  return {
    id,
    recipientId: input.recipientId,
    title: input.title,
    body: input.body ?? null,
    kind: input.kind ?? 'info',
    url: input.url ?? null,
    data: (input.data ?? null) as Notification['data'],
    readAt: null,
    createdAt: new Date(),
  };
}

/**
 * Collision-resistant ids in the shape of Prisma's cuid(): "c", the time in base 36, a counter,
 * and random characters; ids made later by one maker sort after earlier ones.
 */
class IdMaker {
  #counter = Math.floor(Math.random() * 1_679_616);
  // Random bytes drawn 4 KiB at a time: one call into the system's generator per id was about a
  // twentieth of a notification's CPU.
  readonly #random = Buffer.alloc(4096);
  #randomAt = this.#random.length;

  next(): string {
    this.#counter = (this.#counter + 1) % 1_679_616;
    return `c${Date.now().toString(36).padStart(8, '0')}${this.#counter.toString(36).padStart(4, '0')}${this.#randomHex()}`;
  }

  /** Twelve random hex characters. */
  #randomHex(): string {
    if (this.#randomAt + 6 > this.#random.length) {
      randomFillSync(this.#random);
      this.#randomAt = 0;
    }
    this.#randomAt += 6;
    return this.#random.toString('hex', this.#randomAt - 6, this.#randomAt);
  }
}
