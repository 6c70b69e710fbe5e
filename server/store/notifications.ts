import { randomFillSync } from 'node:crypto';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { Notification, Prisma } from '../generated/prisma/sqlite/client.ts';
import type { Metrics } from '../metrics.ts';
import { encodeCursor, type NotificationEventPayload, snapshotOf } from '../realtime/events.ts';
import type { NotificationPubSub } from '../realtime/pubsub.ts';
import { badUserInput, notFound } from '../schema/errors.ts';
import { type Db, postgresPoolOf, postgresStatement, sqliteConnectionOf, type Tx } from './db.ts';

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
        const unreadCount = await countUnread(tx, userId);
        const event = { ...partial, cursor: encodeCursor(seq), unreadCount } as NotificationEventPayload;
        await tx.$executeRaw`
          INSERT INTO user_event ("userId", seq, type, payload, "createdAt")
          VALUES (${userId}, ${seq}, ${event.type}, ${JSON.stringify(event)}, ${new Date()})`;
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

  const create = createNotificationWriter(db, pubsub, metrics);

  return {
    create,

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

function newNotification(input: NewNotification): Notification {
  return {
    id: newId(),
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

function createdEvent(notification: Notification, seq: number, unreadCount: number): NotificationEventPayload {
  return {
    type: 'NotificationCreated',
    notification: snapshotOf(notification),
    cursor: encodeCursor(seq),
    unreadCount,
  };
}

/**
 * `create` on the plain connection each engine has beside Prisma's (see db.ts). Every database
 * `connectDatabase` opens has one: an in-memory SQLite database, which could not, is refused by
 * the configuration.
 */
function createNotificationWriter(db: Db, pubsub: NotificationPubSub, metrics?: Metrics) {
  const writer = sqliteConnectionOf(db);
  if (writer) return createNotificationOnSqlite(writer, pubsub, metrics);
  const pool = postgresPoolOf(db);
  if (pool) return createNotificationOnPostgres(pool, pubsub, metrics);
  throw new Error('createNotificationService needs a database opened by connectDatabase.');
}

/** A create waiting for its group commit; its batch sets `event` once committed, or `error`. */
interface PendingCreate {
  notification: Notification;
  done: ((labels: { mutation: string }) => void) | undefined;
  resolve: (notification: Notification) => void;
  reject: (error: unknown) => void;
  event?: NotificationEventPayload;
  error?: unknown;
}

/** After its batch: publishes the create's event and answers its caller, or answers the error. */
function settle(item: PendingCreate, pubsub: NotificationPubSub) {
  if (item.event) {
    pubsub.publish(item.notification.recipientId, item.event);
    item.done?.({ mutation: item.event.type });
    item.resolve(item.notification);
  } else if (item.error instanceof NoSuchUser) {
    item.reject(badUserInput('recipientId', `no user with id "${item.notification.recipientId}".`));
  } else {
    item.reject(item.error);
  }
}

/** SQLite's DATETIME text as Prisma writes it (so Prisma reads it back, and ranges compare as text). */
function sqliteDate(date: Date): string {
  return date.toISOString().replace('Z', '+00:00');
}

interface PendingSqliteCreate extends PendingCreate {
  deadline: number;
}

/**
 * `create` on SQLite, as one synchronous transaction on the writer connection: the same
 * statements, order and event as `writeEvent`, in about 0.15 ms instead of about 2 ms of CPU.
 * SQLite has one writer at a time; when Prisma's connection holds the lock (inside one of its
 * transactions) this yields and tries again rather than block the event loop.
 */
function createNotificationOnSqlite(writer: Database.Database, pubsub: NotificationPubSub, metrics?: Metrics) {
  const bump = writer.prepare<[string], { lastEventSeq: number }>(
    'UPDATE "user" SET "lastEventSeq" = "lastEventSeq" + 1 WHERE id = ? RETURNING "lastEventSeq"',
  );
  const insertNotification = writer.prepare(
    'INSERT INTO notification (id, "recipientId", kind, title, body, url, data, "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const unread = writer
    .prepare<[string], number>('SELECT COUNT(*) FROM notification WHERE "recipientId" = ? AND "readAt" IS NULL')
    .pluck();
  const insertEvent = writer.prepare(
    'INSERT INTO user_event ("userId", seq, type, payload, "createdAt") VALUES (?, ?, ?, ?, ?)',
  );
  // No transaction of its own: it runs inside a batch's, and fails with NoSuchUser before it writes.
  const write = (notification: Notification): NotificationEventPayload => {
    const { id, recipientId, kind, title, body, url, data, createdAt } = notification;
    const bumped = bump.get(recipientId);
    if (!bumped) throw new NoSuchUser();
    const at = sqliteDate(createdAt);
    insertNotification.run(id, recipientId, kind, title, body, url, data === null ? null : JSON.stringify(data), at);
    const event = createdEvent(notification, bumped.lastEventSeq, unread.get(recipientId) ?? 0);
    insertEvent.run(recipientId, bumped.lastEventSeq, event.type, JSON.stringify(event), at);
    return event;
  };

  // Group commit: the creates that arrive in one turn of the event loop share one transaction,
  // in arrival order, so the commit's write to the WAL, most of the cost, is paid once for all
  // of them. Events are published, in order, after that commit. A missing recipient fails its
  // create alone (nothing was written for it); any other failure rolls the batch back, and
  // `flush` writes its creates again one transaction each, so only the failing one fails.
  const writeBatch = writer.transaction((batch: PendingSqliteCreate[]) => {
    for (const item of batch) {
      try {
        item.event = write(item.notification);
      } catch (error) {
        if (!(error instanceof NoSuchUser)) throw error;
        item.error = error;
      }
    }
  });
  let queue: PendingSqliteCreate[] = [];
  let scheduled = false;

  function flush() {
    scheduled = false;
    const batch = queue;
    queue = [];
    try {
      writeBatch.immediate(batch);
    } catch (error) {
      // Prisma's connection holds the write lock (inside one of its transactions): yield, retry.
      const busy = String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY');
      const deadline = batch[0] ? batch[0].deadline : 0;
      if (busy && Date.now() <= deadline) {
        queue = [...batch, ...queue];
        schedule();
      } else if (!busy && batch.length > 1) {
        for (const item of batch) writeAlone(item);
      } else {
        for (const item of batch) item.reject(error);
      }
      return;
    }
    for (const item of batch) settle(item, pubsub);
  }

  function writeAlone(item: PendingSqliteCreate) {
    item.event = undefined;
    item.error = undefined;
    try {
      writeBatch.immediate([item]);
    } catch (error) {
      item.error = error;
    }
    settle(item, pubsub);
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  }

  return (input: NewNotification): Promise<Notification> =>
    new Promise((resolve, reject) => {
      queue.push({
        notification: newNotification(input),
        deadline: Date.now() + transactionOptions.maxWait,
        done: metrics?.mutationSeconds.startTimer(),
        resolve,
        reject,
      });
      schedule();
    });
}

/** The most creates one PostgreSQL transaction takes; the rest wait for the next. */
const maxPostgresBatch = 200;

/**
 * `create` on PostgreSQL through plain node-postgres, with group commit: one batch is written at
 * a time, and the creates that arrive meanwhile make the next one. A batch costs five round trips
 * and one commit whatever its size, where each create used to cost six round trips and a commit.
 * Events are published, in arrival order, after their batch committed.
 */
function createNotificationOnPostgres(pool: pg.Pool, pubsub: NotificationPubSub, metrics?: Metrics) {
  let queue: PendingCreate[] = [];
  let writing = false;

  async function drain() {
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxPostgresBatch);
        queue = queue.slice(maxPostgresBatch);
        await writePostgresBatch(pool, batch);
        for (const item of batch) settle(item, pubsub);
      }
    } finally {
      writing = false;
    }
  }

  return (input: NewNotification): Promise<Notification> =>
    new Promise((resolve, reject) => {
      queue.push({
        notification: newNotification(input),
        done: metrics?.mutationSeconds.startTimer(),
        resolve,
        reject,
      });
      if (writing) return;
      writing = true;
      // Yield once, so the creates of this event-loop turn join the first batch.
      setImmediate(() => void drain());
    });
}

/**
 * Writes a batch of creates in one transaction and sets each one's event (or error). Never
 * throws. When the transaction fails as a whole and was rolled back, each create is tried again
 * alone, so one the database refuses (say, a NUL character in a title) fails by itself.
 */
async function writePostgresBatch(pool: pg.Pool, batch: PendingCreate[]): Promise<void> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    for (const item of batch) item.error = error;
    return;
  }
  let outcomes: (NotificationEventPayload | NoSuchUser)[];
  try {
    await client.query('BEGIN');
    outcomes = await insertPostgresBatch(client, batch);
    await client.query('COMMIT');
  } catch (error) {
    const rolledBack = await client.query('ROLLBACK').then(
      () => true,
      () => false,
    );
    // A connection that cannot even roll back is broken: the pool must not hand it out again.
    client.release(!rolledBack);
    // Without the rollback's answer the batch may have committed: trying again could write twice.
    if (rolledBack && batch.length > 1) {
      for (const item of batch) await writePostgresBatch(pool, [item]);
    } else {
      for (const item of batch) item.error = error;
    }
    return;
  }
  client.release();
  batch.forEach((item, i) => {
    const outcome = outcomes[i];
    if (outcome instanceof NoSuchUser) item.error = outcome;
    else item.event = outcome;
  });
}

// The recipients' row locks, always in id order, so two processes' batches cannot deadlock. NO KEY
// UPDATE is the lock the sequence bump takes anyway; it lets others insert rows that reference a user.
const lockUsers = 'SELECT id FROM "user" WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE';

// A statement of its own after the locks: under READ COMMITTED its snapshot is taken when it
// starts, so the unread counts include every write to these users that committed before ours.
// `seq` is each user's last sequence number before this batch.
const bumpUsers = `UPDATE "user" AS u SET "lastEventSeq" = u."lastEventSeq" + c.n
  FROM unnest($1::text[], $2::int[]) AS c (id, n)
  WHERE u.id = c.id
  RETURNING u.id, u."lastEventSeq" - c.n AS seq,
    (SELECT COUNT(*)::int FROM notification WHERE "recipientId" = u.id AND "readAt" IS NULL) AS unread`;

// Both inserts in one statement (a data-modifying WITH always runs to completion).
const insertCreated = `WITH created AS (
    INSERT INTO notification (id, "recipientId", kind, title, body, url, data, "createdAt")
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::timestamp[])
  )
  INSERT INTO user_event ("userId", seq, type, payload, "createdAt")
  SELECT e."userId", e.seq, 'NotificationCreated', e.payload, e."createdAt"
  FROM unnest($2::text[], $9::int[], $10::jsonb[], $8::timestamp[]) AS e ("userId", seq, payload, "createdAt")`;

/**
 * The statements of one batch, inside its transaction: the same order and locking as
 * `writeEvent` (every recipient's row lock first, held until commit, so a user's events commit in
 * cursor order), with each statement covering every create of the batch. Returns each create's
 * event, in batch order, or NoSuchUser. Dates go as ISO strings so the `timestamp` columns hold
 * UTC, as Prisma writes them, whatever the process' time zone.
 */
async function insertPostgresBatch(
  client: pg.PoolClient,
  batch: PendingCreate[],
): Promise<(NotificationEventPayload | NoSuchUser)[]> {
  const perUser = new Map<string, number>();
  for (const { notification } of batch) {
    perUser.set(notification.recipientId, (perUser.get(notification.recipientId) ?? 0) + 1);
  }
  const locked = await client.query<{ id: string }>(postgresStatement(lockUsers, [[...perUser.keys()]]));
  const ids = locked.rows.map((row) => row.id);
  const bumped = ids.length
    ? await client.query<{ id: string; seq: number; unread: number }>(
        postgresStatement(bumpUsers, [ids, ids.map((id) => perUser.get(id))]),
      )
    : { rows: [] };
  const users = new Map(bumped.rows.map((row) => [row.id, row]));

  // A user's k creates get the next k sequence numbers and unread counts, in arrival order.
  const created: { notification: Notification; seq: number; event: NotificationEventPayload }[] = [];
  const outcomes = batch.map(({ notification }) => {
    const user = users.get(notification.recipientId);
    if (!user) return new NoSuchUser();
    const event = createdEvent(notification, ++user.seq, ++user.unread);
    created.push({ notification, seq: user.seq, event });
    return event;
  });
  if (created.length === 0) return outcomes;

  const columns = {
    id: [] as string[],
    recipientId: [] as string[],
    kind: [] as string[],
    title: [] as string[],
    body: [] as (string | null)[],
    url: [] as (string | null)[],
    data: [] as (string | null)[],
    createdAt: [] as string[],
    seq: [] as number[],
    payload: [] as string[],
  };
  for (const { notification, seq, event } of created) {
    columns.id.push(notification.id);
    columns.recipientId.push(notification.recipientId);
    columns.kind.push(notification.kind);
    columns.title.push(notification.title);
    columns.body.push(notification.body);
    columns.url.push(notification.url);
    columns.data.push(notification.data === null ? null : JSON.stringify(notification.data));
    columns.createdAt.push(notification.createdAt.toISOString());
    columns.seq.push(seq);
    columns.payload.push(JSON.stringify(event));
  }
  await client.query(
    postgresStatement(insertCreated, [
      columns.id,
      columns.recipientId,
      columns.kind,
      columns.title,
      columns.body,
      columns.url,
      columns.data,
      columns.createdAt,
      columns.seq,
      columns.payload,
    ]),
  );
  return outcomes;
}

/** The recipient of a write does not exist. */
class NoSuchUser extends Error {}

// The statements every write runs are raw SQL (the same text on SQLite and PostgreSQL): through
// Prisma's query compiler each cost about 0.7 ms of CPU, a raw statement about 0.15 ms.

/** Bumps the user's event sequence, taking the user's row lock on PostgreSQL until commit. */
async function nextSeq(tx: Tx, userId: string): Promise<number> {
  const [row] = await tx.$queryRaw<{ lastEventSeq: number | bigint }[]>`
    UPDATE "user" SET "lastEventSeq" = "lastEventSeq" + 1 WHERE id = ${userId} RETURNING "lastEventSeq"`;
  if (!row) throw new NoSuchUser();
  return Number(row.lastEventSeq);
}

async function countUnread(tx: Tx, userId: string): Promise<number> {
  const [row] = await tx.$queryRaw<{ unread: number | bigint }[]>`
    SELECT COUNT(*) AS unread FROM notification WHERE "recipientId" = ${userId} AND "readAt" IS NULL`;
  return Number(row?.unread ?? 0);
}

/**
 * A collision-resistant id in the shape of Prisma's cuid(): "c", the time in base 36, a counter,
 * and random characters; ids made later in this process sort after earlier ones.
 */
function newId(): string {
  counter = (counter + 1) % 1_679_616;
  return `c${Date.now().toString(36).padStart(8, '0')}${counter.toString(36).padStart(4, '0')}${randomHex()}`;
}
let counter = Math.floor(Math.random() * 1_679_616);

// Random bytes drawn 4 KiB at a time: one call into the system's generator per id was about a
// twentieth of a notification's CPU.
const randomPool = Buffer.alloc(4096);
let randomAt = randomPool.length;

/** Twelve random hex characters. */
function randomHex(): string {
  if (randomAt + 6 > randomPool.length) {
    randomFillSync(randomPool);
    randomAt = 0;
  }
  randomAt += 6;
  return randomPool.toString('hex', randomAt - 6, randomAt);
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
