import type { Db, Tx } from './db.ts';
import { badUserInput, notFound } from './errors.ts';
import { encodeCursor, type NotificationEventPayload, snapshotOf } from './events.ts';
import type { Notification, Prisma } from './generated/prisma/sqlite/client.ts';
import type { Metrics } from './metrics.ts';
import type { NotificationPubSub } from './pubsub.ts';

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
 * Every write to notifications. Each one runs in a transaction that also appends the event to the
 * recipient's event log, and publishes that event only after the transaction committed.
 */
export interface NotificationService {
  create(input: NewNotification): Promise<Notification>;
  markRead(userId: string, id: string): Promise<Notification>;
  markAllRead(userId: string): Promise<MarkAllReadResult>;
  delete(userId: string, id: string): Promise<string>;
}

/** Rolls a transaction back and hands `value` to the caller: the write turned out to change nothing. */
class NoChange<T> {
  constructor(readonly value: T) {}
}

// SQLite serializes writers; under load a transaction may wait its turn for a while.
const transactionOptions = { maxWait: 15_000, timeout: 15_000 };

export function createNotificationService(db: Db, pubsub: NotificationPubSub, metrics?: Metrics): NotificationService {
  /**
   * Runs `write` for `userId` and logs the event it returns. The user's sequence is bumped
   * first: on PostgreSQL that takes the user's row lock, so a user's events commit in cursor
   * order and the unread count read afterwards is exact.
   */
  async function writeEvent<T>(
    userId: string,
    write: (
      tx: Tx,
    ) => Promise<{ result: T; event: DistributiveOmit<NotificationEventPayload, 'cursor' | 'unreadCount'> }>,
  ): Promise<T> {
    let outcome: { result: T; event: NotificationEventPayload };
    const timer = metrics?.mutationSeconds.startTimer();
    try {
      outcome = await db.$transaction(async (tx) => {
        const seq = await nextSeq(tx, userId);
        const { result, event: partial } = await write(tx);
        const unreadCount = await tx.notification.count({ where: { recipientId: userId, readAt: null } });
        const event = { ...partial, cursor: encodeCursor(seq), unreadCount } as NotificationEventPayload;
        await tx.userEvent.create({
          data: { userId, seq, type: event.type, payload: event as unknown as Prisma.InputJsonValue },
        });
        return { result, event };
      }, transactionOptions);
    } catch (error) {
      if (error instanceof NoChange) return error.value as T;
      throw error;
    }
    pubsub.publish(userId, outcome.event);
    timer?.({ mutation: outcome.event.type });
    return outcome.result;
  }

  return {
    async create(input) {
      const notification = await writeEvent(input.recipientId, async (tx) => {
        const notification = await tx.notification.create({
          data: {
            recipientId: input.recipientId,
            title: input.title,
            body: input.body ?? null,
            kind: input.kind ?? 'info',
            url: input.url ?? null,
            data: input.data ?? undefined,
          },
        });
        return { result: notification, event: { type: 'NotificationCreated', notification: snapshotOf(notification) } };
      }).catch((error: unknown) => {
        if (isRecordNotFound(error)) throw badUserInput('recipientId', `no user with id "${input.recipientId}".`);
        throw error;
      });
      return notification;
    },

    markRead(userId, id) {
      return writeEvent(userId, async (tx) => {
        const current = await tx.notification.findFirst({ where: { id, recipientId: userId } });
        if (!current) throw notFound('notification', id);
        if (current.readAt) throw new NoChange(current);
        const notification = await tx.notification.update({ where: { id }, data: { readAt: new Date() } });
        return { result: notification, event: { type: 'NotificationRead', notification: snapshotOf(notification) } };
      });
    },

    markAllRead(userId) {
      const readAt = new Date();
      return writeEvent(userId, async (tx) => {
        const { count } = await tx.notification.updateMany({
          where: { recipientId: userId, readAt: null },
          data: { readAt },
        });
        if (count === 0) throw new NoChange({ readAt, count });
        return {
          result: { readAt, count },
          event: { type: 'AllNotificationsRead', readAt: readAt.toISOString(), count },
        };
      });
    },

    delete(userId, id) {
      return writeEvent(userId, async (tx) => {
        const { count } = await tx.notification.deleteMany({ where: { id, recipientId: userId } });
        if (count === 0) throw notFound('notification', id);
        return { result: id, event: { type: 'NotificationDeleted', notificationId: id } };
      });
    },
  };
}

async function nextSeq(tx: Tx, userId: string): Promise<number> {
  const { lastEventSeq } = await tx.user.update({
    where: { id: userId },
    data: { lastEventSeq: { increment: 1 } },
    select: { lastEventSeq: true },
  });
  return lastEventSeq;
}

function isRecordNotFound(error: unknown) {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2025';
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
