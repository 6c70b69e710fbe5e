import type { Notification } from '../generated/prisma/sqlite/client.ts';
import type { Metrics } from '../metrics.ts';
import { encodeCursor, type NotificationEventPayload, snapshotOf } from '../realtime/events.ts';
import type { NotificationPubSub } from '../realtime/pubsub.ts';
import { NoSuchRecipient, NotFound, type StoreError } from './errors.ts';

/**
 * The one writer of the per-user event log. Every change to notifications (create, read,
 * read-all, delete; each new kind is one more entry in `Change`, in `stepOf` below and in each
 * engine's `apply` table) goes through `EventLog.append`, which, in one transaction per batch,
 * writes the change, bumps the user's sequence, counts the user's unread notifications, appends
 * the event, and hands the events to the pub/sub once the transaction committed.
 *
 * Why cursors are gap-free and commit in user order: every batch begins by taking the write
 * lock of each user it touches (PostgreSQL: the users' rows, FOR NO KEY UPDATE, in id order so two
 * processes' batches cannot deadlock; SQLite: BEGIN IMMEDIATE, the database's one write lock),
 * and holds them until it commits. Only then does it read each user's last sequence number and
 * unread count (in a statement of its own after the locks: under READ COMMITTED its snapshot
 * includes every write to those users that committed before ours). Sequence numbers are handed out
 * in the batch, in arrival order, only to changes that wrote something, and stored with the
 * events in the same transaction: a batch that rolls back takes its numbers with it, and the next
 * writer of that user cannot read the last number until this one committed. Each change's effect
 * on the unread count is added to the count read after the locks, in the same order as the
 * changes are applied. So a user's events become visible in cursor order, without gaps, and each
 * carries the exact unread count after it.
 *
 * Group commit: the changes that arrive while a batch is written (or, for the first, in one turn
 * of the event loop) make the next batch, so a commit is paid once for many changes. One batch is
 * in flight at a time, in arrival order. A change that fails on its own (NotFound, no such
 * recipient) fails alone inside its batch; a batch whose transaction fails as a whole is rolled
 * back and written again one change at a time, so only the change the database refuses fails; a
 * batch the engine finds busy (SQLite: Prisma's connection holds the write lock) waits a turn of
 * the event loop and tries again, until its first change has waited `maxWaitMs`.
 */

/** A change to a user's notifications, as the event log takes it. */
export type Change =
  | { kind: 'create'; notification: Notification }
  | { kind: 'read'; userId: string; id: string; at: Date }
  | { kind: 'readAll'; userId: string; at: Date }
  | { kind: 'delete'; userId: string; id: string; at: Date };

export type ChangeKind = Change['kind'];
export type ChangeOf<K extends ChangeKind> = Extract<Change, { kind: K }>;

/** What an engine's SQL reports for one change of each kind (it knows nothing of events). */
export interface Applied {
  /** Whether the notification was inserted: false when its recipient does not exist. */
  create: boolean;
  /** The notification after the change, and whether this change read it (false: it was read already); null when the user has none with that id. */
  read: { notification: Notification; changed: boolean } | null;
  /** How many notifications were marked read. */
  readAll: number;
  /** Whether the deleted notification was unread; null when the user has none with that id. */
  delete: { wasUnread: boolean } | null;
}

/** What the caller of `append` receives for each kind. */
export interface Results {
  create: Notification;
  read: Notification;
  readAll: { readAt: Date; count: number };
  delete: string;
}

/**
 * Each engine's statements for a run of consecutive changes of one kind, in order: what a new kind
 * of change adds to an engine. `users` are the batch's users that exist, locked. SQLite's
 * statements are synchronous (`Async` false), PostgreSQL's are not.
 */
export type ApplyTable<Async extends boolean> = {
  [K in ChangeKind]: (
    changes: ChangeOf<K>[],
    users: ReadonlyMap<string, UserState>,
  ) => Async extends true ? Promise<Applied[K][]> : Applied[K][];
};

/** Applies one run (see runsOf) with its kind's statements. */
export function applyRun<Async extends boolean>(
  table: ApplyTable<Async>,
  run: Change[],
  users: ReadonlyMap<string, UserState>,
) {
  const kind = (run[0] as Change).kind;
  type Apply = (changes: Change[], users: ReadonlyMap<string, UserState>) => unknown;
  return (table[kind] as Apply)(run, users) as Async extends true ? Promise<unknown[]> : unknown[];
}

/** A user as a batch finds it after taking the user's lock. */
export interface UserState {
  seq: number;
  unread: number;
}

/** An event to append to the log, in its batch. */
export interface EventRow {
  userId: string;
  seq: number;
  event: NotificationEventPayload;
  at: Date;
}

/** What became of one change of a batch. */
export type Outcome = { error: StoreError } | { result: unknown; event?: NotificationEventPayload };

/** What one engine does with a batch: everything in one transaction, each change's outcome in order. */
export interface EventLogEngine {
  /** Throws BatchFailed when the transaction as a whole did not commit. */
  write(changes: Change[]): Promise<Outcome[]>;
  /** The most changes one transaction takes; the rest wait for the next. */
  readonly maxBatch: number;
}

/** A batch's transaction failed as a whole; `then` says what may be done about it. */
export class BatchFailed extends Error {
  constructor(
    readonly cause: unknown,
    /** retry later: the database was busy, nothing was done; retry alone: rolled back; give up: it may have committed. */
    readonly then: 'retry later' | 'retry alone' | 'give up',
  ) {
    super('the event log batch failed', { cause });
  }
}

/** The user whose log a change goes to. */
export function userOf(change: Change): string {
  return change.kind === 'create' ? change.notification.recipientId : change.userId;
}

/** The distinct users of a batch. */
export function usersOf(changes: Change[]): string[] {
  return [...new Set(changes.map(userOf))];
}

/** A batch cut into runs of consecutive changes of one kind: an engine applies each run at once, in order. */
export function runsOf(changes: Change[]): Change[][] {
  const runs: Change[][] = [];
  for (const change of changes) {
    const last = runs.at(-1);
    if (last?.[0]?.kind === change.kind) last.push(change);
    else runs.push([change]);
  }
  return runs;
}

type EventBody = NotificationEventPayload extends infer E
  ? E extends NotificationEventPayload
    ? Omit<E, 'cursor' | 'unreadCount'>
    : never
  : never;

/** What a change did: failed, changed nothing (no event), or changed and makes this event. */
type Step = { error: StoreError } | { result: unknown } | { result: unknown; event: EventBody; unreadDelta: number };

function stepOf(change: Change, applied: unknown): Step {
  switch (change.kind) {
    case 'create': {
      const { notification } = change;
      if (!(applied as Applied['create'])) return { error: new NoSuchRecipient(notification.recipientId) };
      const event = { type: 'NotificationCreated' as const, notification: snapshotOf(notification) };
      return { result: notification, event, unreadDelta: 1 };
    }
    case 'read': {
      const read = applied as Applied['read'];
      if (!read) return { error: new NotFound('notification', change.id) };
      if (!read.changed) return { result: read.notification };
      const event = { type: 'NotificationRead' as const, notification: snapshotOf(read.notification) };
      return { result: read.notification, event, unreadDelta: -1 };
    }
    case 'readAll': {
      const count = applied as Applied['readAll'];
      const result = { readAt: change.at, count };
      if (count === 0) return { result };
      const event = { type: 'AllNotificationsRead' as const, readAt: change.at.toISOString(), count };
      return { result, event, unreadDelta: -count };
    }
    case 'delete': {
      const deleted = applied as Applied['delete'];
      if (!deleted) return { error: new NotFound('notification', change.id) };
      const event = { type: 'NotificationDeleted' as const, notificationId: change.id };
      return { result: change.id, event, unreadDelta: deleted.wasUnread ? -1 : 0 };
    }
  }
}

/**
 * Turns what an engine applied into events: each change that wrote something takes its user's
 * next sequence number and unread count, in batch order (`users` as the batch found them after
 * the locks; updated in place). Returns each change's outcome and the events to append.
 */
export function sequence(changes: Change[], applied: unknown[], users: Map<string, UserState>) {
  const events: EventRow[] = [];
  const outcomes = changes.map((change, i): Outcome => {
    const step = stepOf(change, applied[i]);
    if (!('event' in step)) return step;
    const userId = userOf(change);
    const user = users.get(userId);
    if (!user) throw new Error(`a change of user ${userId} wrote without the user's lock`);
    user.seq += 1;
    user.unread += step.unreadDelta;
    const event = {
      ...step.event,
      cursor: encodeCursor(user.seq),
      unreadCount: user.unread,
    } as NotificationEventPayload;
    events.push({
      userId,
      seq: user.seq,
      event,
      at: change.kind === 'create' ? change.notification.createdAt : change.at,
    });
    return { result: step.result, event };
  });
  return { outcomes, events };
}

/** A change waiting for its batch. */
interface Pending {
  change: Change;
  deadline: number;
  done: ((labels: { mutation: string }) => void) | undefined;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

export interface EventLogOptions {
  engine: EventLogEngine;
  pubsub: NotificationPubSub;
  metrics?: Metrics | undefined;
  /** How long a change may wait for a busy database. */
  maxWaitMs?: number;
}

/** The group-commit queue in front of an engine (see the top of this module). */
export class EventLog {
  #queue: Pending[] = [];
  #writing = false;
  readonly #engine: EventLogEngine;
  readonly #pubsub: NotificationPubSub;
  readonly #metrics: Metrics | undefined;
  readonly #maxWaitMs: number;

  constructor({ engine, pubsub, metrics, maxWaitMs = 15_000 }: EventLogOptions) {
    this.#engine = engine;
    this.#pubsub = pubsub;
    this.#metrics = metrics;
    this.#maxWaitMs = maxWaitMs;
  }

  /** Writes `change` in the next batch; resolves once it committed and its event (if any) was published. */
  append<K extends ChangeKind>(change: ChangeOf<K>): Promise<Results[K]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({
        change,
        deadline: Date.now() + this.#maxWaitMs,
        done: this.#metrics?.mutationSeconds.startTimer(),
        resolve: resolve as (result: unknown) => void,
        reject,
      });
      if (this.#writing) return;
      this.#writing = true;
      // Yield once, so the changes of this event-loop turn join the first batch.
      setImmediate(() => void this.#drain());
    });
  }

  async #drain() {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#engine.maxBatch);
        const later = await this.#write(batch);
        if (later) {
          this.#queue.unshift(...later);
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    } finally {
      this.#writing = false;
    }
  }

  /** Writes a batch and settles its changes; returns the changes to try again later (the database was busy). */
  async #write(batch: Pending[]): Promise<Pending[] | undefined> {
    let outcomes: Outcome[];
    try {
      outcomes = await this.#engine.write(batch.map((item) => item.change));
    } catch (error) {
      const failed = error instanceof BatchFailed ? error : new BatchFailed(error, 'give up');
      if (failed.then === 'retry later' && Date.now() <= (batch[0]?.deadline ?? 0)) return batch;
      if (failed.then === 'retry alone' && batch.length > 1) {
        for (const [i, item] of batch.entries()) {
          if (await this.#write([item])) return batch.slice(i);
        }
        return undefined;
      }
      for (const item of batch) item.reject(failed.cause);
      return undefined;
    }
    for (const [i, item] of batch.entries()) this.#settle(item, outcomes[i] as Outcome);
    return undefined;
  }

  #settle(item: Pending, outcome: Outcome) {
    if ('error' in outcome) {
      item.reject(outcome.error);
      return;
    }
    if (outcome.event) {
      this.#pubsub.publish(userOf(item.change), outcome.event);
      item.done?.({ mutation: outcome.event.type });
    }
    item.resolve(outcome.result);
  }
}
