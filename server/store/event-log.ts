import type { Notification } from '../generated/prisma/sqlite/client.ts';
import type { Metrics } from '../metrics.ts';
import {
  encodeCursor,
  type KindPreference,
  type NotificationCounts,
  type NotificationEventPayload,
  snapshotOf,
} from '../realtime/events.ts';
import type { NotificationPubSub } from '../realtime/pubsub.ts';
import { NoSuchRecipient, NotFound, type StoreError } from './errors.ts';
import { deleted, eventOfUpdate, folded, Tally, transition, type Update } from './inbox.ts';

/**
 * The one writer of the per-user event log. Every change to notifications goes through
 * `EventLog.append`: creates, updates of one notification (read, unread, archive, snooze, act,
 * expire, ...: the rules are in inbox.ts), changes to all of a user's notifications at once, and
 * deletes. In one transaction per batch (`batchOf`, the same on every engine; each engine only
 * answers its `Statements`), it writes the changes, bumps each user's sequence, keeps each user's
 * counts, appends the events, and hands the events to the pub/sub once the transaction committed.
 * A new kind of change is one more `Update` (inbox.ts), or one more statement each engine answers.
 *
 * Why cursors are gap-free and commit in user order: every batch begins by taking the write
 * lock of each user it touches (PostgreSQL: the users' rows, FOR NO KEY UPDATE, in id order so two
 * processes' batches cannot deadlock; SQLite: BEGIN IMMEDIATE, the database's one write lock),
 * and holds them until it commits. The user's last sequence number and inbox state (counts and
 * muted kinds, stored with that number by the last batch) come with the lock: PostgreSQL reads a
 * row locked FOR UPDATE as its latest committed version. Everything else (notifications, and the
 * counts of a user with no stored state) is read in statements of their own after the locks: under
 * READ COMMITTED each statement's snapshot includes every write to those users that committed
 * before ours, and no one else writes them until we commit. Sequence numbers are handed out in the batch, in arrival
 * order, only to changes that wrote something, and stored with the events in the same
 * transaction: a batch that rolls back takes its numbers with it, and the next writer of that
 * user cannot read the last number until this one committed. Each change's effect on the counts
 * (inbox.ts, `Tally`) is added to the counts found after the locks, in the same order as the
 * changes are applied, and the counts after the last are stored with the last number. So a user's
 * events become visible in cursor order, without gaps, and each carries the exact counts after it.
 *
 * Group commit: the changes that arrive while a batch is written (or, for the first, in one turn
 * of the event loop) make the next batch, so a commit is paid once for many changes. On SQLite one
 * batch is in flight at a time, in arrival order. On PostgreSQL a few are (`inFlight`), so one
 * batch's round trips overlap another's: the user locks order them exactly as they order two
 * processes' batches (a later batch that touches a user waits for the earlier one's commit, and
 * reads its sequence number after it), and a stream that receives a user's events out of order
 * repairs the gap from the log (realtime/streams.ts). A change that fails on its own (NotFound, no such
 * recipient) fails alone inside its batch; a batch whose transaction fails as a whole is rolled
 * back and written again one change at a time, so only the change the database refuses fails; a
 * batch the engine finds busy (SQLite: Prisma's connection holds the write lock) waits a turn of
 * the event loop and tries again, until its first change has waited `maxWaitMs`.
 */

/** A change to a user's notifications, as the event log takes it. */
export type Change =
  | { kind: 'create'; notification: Notification }
  | { kind: 'update'; userId: string; id: string; at: Date; update: Update }
  | { kind: 'bulk'; userId: string; at: Date; op: BulkOp }
  | { kind: 'delete'; userId: string; id: string; at: Date }
  | { kind: 'preference'; userId: string; at: Date; set: PreferenceChange; critical: boolean };

/** A change to one kind's preference: the settings given change, the others stay. */
export interface PreferenceChange {
  kind: string;
  inApp?: boolean | null;
  push?: boolean | null;
  desktop?: boolean | null;
  sound?: boolean | null;
}

/** A kind's stored preference (see KindPreference in events.ts, less `critical`). */
export type PreferenceRow = Omit<KindPreference, 'critical'>;

/** The changes to every notification of a user at once: read all, see all, archive the read ones. */
export type BulkOp = 'readAll' | 'seeAll' | 'archiveRead';

export type ChangeKind = Change['kind'];
export type ChangeOf<K extends ChangeKind> = Extract<Change, { kind: K }>;

/** What the caller of `append` receives for each kind. */
export interface Results {
  create: Notification;
  update: Notification;
  bulk: { at: Date; count: number };
  delete: string;
  preference: KindPreference;
}

/**
 * What a batch needs to know of a user besides its sequence: the counts and the muted kinds. The
 * log stores it with the user's last sequence number in the same transaction as every event, so
 * it is exactly what the rows would count: every write to notifications comes through here.
 */
export interface InboxState {
  counts: NotificationCounts;
  muted: string[];
}

/** A user as a batch finds it after taking the user's lock. */
export interface UserState {
  seq: number;
  tally: Tally;
  /** The kinds the user muted (inApp false): their notifications go straight to the archive. */
  muted: Set<string>;
}

/** An event to append to the log, in its batch. */
export interface EventRow {
  userId: string;
  seq: number;
  event: NotificationEventPayload;
  at: Date;
}

/** A notification of a group: the recipient and the group's key. */
export interface GroupOf {
  userId: string;
  groupKey: string;
}

/**
 * The statements a batch asks of its engine (sqlite.ts, postgres.ts), all inside the batch's
 * transaction: what each engine implements, synchronously (SQLite) or not (PostgreSQL).
 */
export interface Statements {
  /**
   * Takes the write lock of each user (see the top of this module); the last sequence number of
   * each that exists, and the inbox state the log stored with it (null for a user it never stored
   * one for: see `recount`).
   */
  lockUsers(userIds: string[]): Map<string, { seq: number; inbox: InboxState | null }>;
  /** Each user's inbox state counted from the rows (after the locks). */
  recount(userIds: string[]): Map<string, InboxState>;
  /** The notifications with these ids (whoever's they are). */
  find(ids: string[]): Notification[];
  /** For each group, its unread notification that is not hidden, if any (the newest). */
  findGroups(groups: GroupOf[]): Notification[];
  insert(rows: Notification[]): void;
  /** Writes these rows' every column but id and recipient. */
  update(rows: Notification[]): void;
  /** Marks the user's unread notifications that are not hidden read (and seen); how many. */
  readAll(userId: string, at: Date): number;
  /** Marks the user's unseen notifications that are not hidden seen; how many. */
  seeAll(userId: string, at: Date): number;
  /** Archives the user's read notifications that are not archived or expired; how many. */
  archiveRead(userId: string, at: Date): number;
  /** The user's stored preference for a kind, if any. */
  preference(userId: string, kind: string): PreferenceRow | null;
  /** Stores the user's preference for a kind. */
  savePreference(userId: string, row: PreferenceRow, at: Date): void;
  /** Appends the events and sets each user's last sequence number and inbox state as of it. */
  append(events: EventRow[], users: Map<string, { seq: number; inbox: InboxState }>): void;
}

type Name = keyof Statements;
/** One statement the batch asks for, with its arguments: the engine answers with its result. */
export type Ask = { [K in Name]: { name: K; args: Parameters<Statements[K]> } }[Name];
type Answer<K extends Name> = ReturnType<Statements[K]>;

/** A batch, as a generator of the statements it needs: each engine runs it on its own connection (`run`). */
export type Batch = Generator<Ask, Outcome[], unknown>;

function* ask<K extends Name>(name: K, ...args: Parameters<Statements[K]>): Generator<Ask, Answer<K>, unknown> {
  return (yield { name, args } as Ask) as Answer<K>;
}

/** Runs a batch to its end, answering each statement from `statements` (SQLite: synchronously, inside one transaction). */
export function runSync(batch: Batch, statements: Statements): Outcome[] {
  let next = batch.next();
  while (!next.done) {
    const { name, args } = next.value;
    next = batch.next((statements[name] as (...args: unknown[]) => unknown)(...args));
  }
  return next.value;
}

/** The same for an engine whose statements answer promises (PostgreSQL). */
export async function runAsync(batch: Batch, statements: Promised<Statements>): Promise<Outcome[]> {
  let next = batch.next();
  while (!next.done) {
    const { name, args } = next.value;
    next = batch.next(await (statements[name] as (...args: unknown[]) => Promise<unknown>)(...args));
  }
  return next.value;
}

/** An engine's statements that answer promises. */
export type Promised<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : never;
};

/** What became of one change of a batch. */
export type Outcome = { error: StoreError } | { result: unknown; event?: NotificationEventPayload };

/** What one engine does with a batch: everything in one transaction, each change's outcome in order. */
export interface EventLogEngine {
  /** Throws BatchFailed when the transaction as a whole did not commit. */
  write(changes: Change[]): Promise<Outcome[]>;
  /** The most changes one transaction takes; the rest wait for the next. */
  readonly maxBatch: number;
  /**
   * How many batches may be in flight at once (default 1). More than one is sound only where the
   * locks order them, as between two processes (PostgreSQL): see the top of this module.
   */
  readonly inFlight?: number;
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

/** A batch cut into runs of consecutive changes of one kind: each run is applied at once, in order. */
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
    ? Omit<E, 'cursor' | 'unreadCount' | 'counts'>
    : never
  : never;

/** What a change did: failed, changed nothing (no event), or changed and makes this event, after counting itself. */
type Step =
  | { error: StoreError }
  | { result: unknown }
  | { result: unknown; event: EventBody; count: (tally: Tally) => void };

/**
 * One batch, the same on every engine: lock the users, read their counts, apply each run of
 * changes with the inbox's rules (inbox.ts), give each change that wrote something its user's next
 * sequence number and counts, in batch order, and append the events.
 */
export function* batchOf(changes: Change[]): Batch {
  const locked = yield* ask('lockUsers', usersOf(changes));
  const unknown = [...locked].flatMap(([userId, { inbox }]) => (inbox === null ? [userId] : []));
  const recounted = unknown.length > 0 ? yield* ask('recount', unknown) : new Map<string, InboxState>();
  const users = new Map<string, UserState>();
  for (const [userId, { seq, inbox }] of locked) {
    const state = inbox ?? recounted.get(userId);
    users.set(userId, { seq, tally: new Tally(state?.counts), muted: new Set(state?.muted) });
  }

  const outcomes: Outcome[] = [];
  const events: EventRow[] = [];
  for (const run of runsOf(changes)) {
    const steps = yield* stepsOf(run, users);
    for (const [i, change] of run.entries()) {
      const step = steps[i] as Step;
      if (!('event' in step)) {
        outcomes.push(step);
        continue;
      }
      const userId = userOf(change);
      const user = users.get(userId);
      if (!user) throw new Error(`a change of user ${userId} wrote without the user's lock`);
      user.seq += 1;
      step.count(user.tally);
      const userCounts = user.tally.counts();
      const event = {
        ...step.event,
        cursor: encodeCursor(user.seq),
        unreadCount: userCounts.unread,
        counts: userCounts,
      } as NotificationEventPayload;
      events.push({
        userId,
        seq: user.seq,
        event,
        at: change.kind === 'create' ? change.notification.createdAt : change.at,
      });
      outcomes.push({ result: step.result, event });
    }
  }
  if (events.length > 0) {
    const written = new Map<string, { seq: number; inbox: InboxState }>();
    for (const { userId } of events) {
      const user = users.get(userId) as UserState;
      written.set(userId, { seq: user.seq, inbox: { counts: user.tally.counts(), muted: [...user.muted] } });
    }
    yield* ask('append', events, written);
  }
  return outcomes;
}

function stepsOf(run: Change[], users: ReadonlyMap<string, UserState>): Generator<Ask, Step[], unknown> {
  const kind = (run[0] as Change).kind;
  switch (kind) {
    case 'create':
      return createSteps(run as ChangeOf<'create'>[], users);
    case 'update':
      return updateSteps(run as ChangeOf<'update'>[]);
    case 'bulk':
      return bulkSteps(run as ChangeOf<'bulk'>[]);
    case 'delete':
      return deleteSteps(run as ChangeOf<'delete'>[]);
    case 'preference':
      return preferenceSteps(run as ChangeOf<'preference'>[], users);
  }
}

const groupId = (userId: string, groupKey: string) => `${userId}\u0000${groupKey}`;

/**
 * Creates: each new one inserted, or folded into its group's unread notification (see inbox.ts);
 * one of a kind its recipient muted goes straight to the archive, read and seen.
 */
function* createSteps(creates: ChangeOf<'create'>[], users: ReadonlyMap<string, UserState>) {
  const grouped = creates.flatMap(({ notification: { recipientId: userId, groupKey } }) =>
    groupKey !== null && users.has(userId) ? [{ userId, groupKey }] : [],
  );
  const open = new Map<string, Notification>();
  for (const row of grouped.length > 0 ? yield* ask('findGroups', grouped) : []) {
    open.set(groupId(row.recipientId, row.groupKey as string), row);
  }
  const inserts = new Map<string, Notification>();
  const updates = new Map<string, Notification>();
  const steps = creates.map(({ notification }): Step => {
    if (!users.has(notification.recipientId)) return { error: new NoSuchRecipient(notification.recipientId) };
    if (users.get(notification.recipientId)?.muted.has(notification.kind)) {
      const at = notification.createdAt;
      const archived = { ...notification, archivedAt: at, readAt: at, seenAt: at };
      inserts.set(archived.id, archived);
      const event = { type: 'NotificationCreated' as const, notification: snapshotOf(archived) };
      return { result: archived, event, count: noop };
    }
    const group = notification.groupKey === null ? undefined : groupId(notification.recipientId, notification.groupKey);
    const before = group === undefined ? undefined : open.get(group);
    const after = before ? folded(before, notification) : notification;
    if (group !== undefined) open.set(group, after);
    (inserts.has(after.id) || !before ? inserts : updates).set(after.id, after);
    const event = { type: 'NotificationCreated' as const, notification: snapshotOf(after) };
    return { result: after, event, count: (tally) => tally.change(before ?? null, after) };
  });
  if (inserts.size > 0) yield* ask('insert', [...inserts.values()]);
  if (updates.size > 0) yield* ask('update', [...updates.values()]);
  return steps;
}

/** Updates of single notifications, each applied to the row as the changes before it left it. */
function* updateSteps(changes: ChangeOf<'update'>[]) {
  const rows = new Map<string, Notification>();
  for (const row of yield* ask('find', [...new Set(changes.map((change) => change.id))])) rows.set(row.id, row);
  const dirty = new Set<string>();
  const steps = changes.map(({ userId, id, at, update }): Step => {
    const before = rows.get(id);
    if (!before || before.recipientId !== userId) return { error: new NotFound('notification', id) };
    const next = transition(update, before, at);
    if ('error' in next) return next;
    if ('unchanged' in next) return { result: before };
    const after = next.after;
    rows.set(id, after);
    dirty.add(id);
    const type = eventOfUpdate[update.op];
    const event =
      type === 'NotificationExpired' ? { type, notificationId: id } : { type, notification: snapshotOf(after) };
    return { result: after, event, count: (tally) => tally.change(before, after) };
  });
  if (dirty.size > 0)
    yield* ask(
      'update',
      [...dirty].map((id) => rows.get(id) as Notification),
    );
  return steps;
}

const bulkEvents = {
  readAll: (at: string, count: number) => ({ type: 'AllNotificationsRead' as const, readAt: at, count }),
  seeAll: (at: string, count: number) => ({ type: 'NotificationsSeen' as const, seenAt: at, count }),
  archiveRead: (at: string, count: number) => ({ type: 'ReadNotificationsArchived' as const, archivedAt: at, count }),
};

/** Changes to all of a user's notifications at once; archiving read ones changes no count. */
function* bulkSteps(changes: ChangeOf<'bulk'>[]) {
  const steps: Step[] = [];
  for (const { userId, at, op } of changes) {
    const count = yield* ask(op, userId, at);
    const result = { at, count };
    if (count === 0) {
      steps.push({ result });
      continue;
    }
    const event = bulkEvents[op](at.toISOString(), count);
    const counted = op === 'readAll' ? (t: Tally) => t.readAll() : op === 'seeAll' ? (t: Tally) => t.seeAll() : noop;
    steps.push({ result, event, count: counted });
  }
  return steps;
}

function* deleteSteps(changes: ChangeOf<'delete'>[]) {
  const rows = new Map<string, Notification>();
  for (const row of yield* ask('find', [...new Set(changes.map((change) => change.id))])) rows.set(row.id, row);
  const gone = new Map<string, Notification>();
  const steps = changes.map(({ userId, id, at }): Step => {
    const before = rows.get(id);
    if (!before || before.recipientId !== userId || before.deletedAt !== null) {
      return { error: new NotFound('notification', id) };
    }
    const after = deleted(before, at);
    rows.set(id, after);
    gone.set(id, after);
    const event = { type: 'NotificationDeleted' as const, notificationId: id };
    return { result: id, event, count: (tally) => tally.change(before, null) };
  });
  if (gone.size > 0) yield* ask('update', [...gone.values()]);
  return steps;
}

/** Preference changes: the settings given change; a change that changes nothing logs nothing. */
function* preferenceSteps(changes: ChangeOf<'preference'>[], users: ReadonlyMap<string, UserState>) {
  const steps: Step[] = [];
  for (const { userId, at, set, critical } of changes) {
    const user = users.get(userId);
    const before = yield* ask('preference', userId, set.kind);
    const current = before ?? { kind: set.kind, ...preferenceDefaults };
    const after: PreferenceRow = {
      kind: set.kind,
      inApp: critical ? true : (set.inApp ?? current.inApp),
      push: set.push ?? current.push,
      desktop: set.desktop ?? current.desktop,
      sound: set.sound ?? current.sound,
    };
    const result: KindPreference = { ...after, critical };
    if (
      !user ||
      (before && (Object.keys(after) as (keyof PreferenceRow)[]).every((key) => after[key] === before[key]))
    ) {
      steps.push({ result });
      continue;
    }
    yield* ask('savePreference', userId, after, at);
    if (after.inApp) user.muted.delete(after.kind);
    else user.muted.add(after.kind);
    steps.push({ result, event: { type: 'NotificationPreferenceChanged', preference: result }, count: noop });
  }
  return steps;
}

/** A kind's preference until the user sets one. */
export const preferenceDefaults = { inApp: true, push: true, desktop: true, sound: false } as const;

const noop = () => undefined;

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
  /** The changes of sends to many (`append(change, { bulk: true })`): they fill what room a batch has left. */
  #bulk: Pending[] = [];
  /** Drains running, and whether one is about to start. */
  #drains = 0;
  #scheduled = false;
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

  /**
   * Writes `change` in the next batch; resolves once it committed and its event (if any) was
   * published. `bulk`: one of many changes sent together (a broadcast): each batch takes the other
   * changes first and at most half a batch of these, and the queue yields to the event loop
   * between batches while any wait, so a user's own change waits behind one batch of a
   * 10,000-recipient send, not behind all of it.
   */
  append<K extends ChangeKind>(change: ChangeOf<K>, { bulk = false }: { bulk?: boolean } = {}): Promise<Results[K]> {
    return new Promise((resolve, reject) => {
      (bulk ? this.#bulk : this.#queue).push({
        change,
        deadline: Date.now() + this.#maxWaitMs,
        done: this.#metrics?.mutationSeconds.startTimer(),
        resolve: resolve as (result: unknown) => void,
        reject,
      });
      if (this.#scheduled || this.#drains >= (this.#engine.inFlight ?? 1)) return;
      this.#scheduled = true;
      // Yield once, so the changes of this event-loop turn join the first batch.
      setImmediate(() => {
        this.#scheduled = false;
        void this.#drain();
      });
    });
  }

  /** Takes batches off the queue until it is empty; up to `inFlight` of these run at once. */
  async #drain() {
    this.#drains++;
    try {
      while (this.#queue.length + this.#bulk.length > 0) {
        const { maxBatch } = this.#engine;
        const bulk = this.#bulk.splice(0, Math.ceil(maxBatch / 2));
        const batch = [...this.#queue.splice(0, maxBatch - bulk.length), ...bulk];
        const later = await this.#write(batch);
        if (later) this.#queue.unshift(...later);
        // A backlog (a send to many, or a busy database): let requests and writes in between batches.
        if (later || this.#bulk.length > 0) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.#drains--;
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
