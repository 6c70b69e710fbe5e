import type { Db } from './db.ts';
import {
  decodeCursor,
  encodeCursor,
  type NotificationEventPayload,
  type StreamEvent,
  type StreamSignal,
} from './events.ts';
import { errorFields, type Logger } from './log.ts';
import type { NotificationPubSub } from './pubsub.ts';

export interface StreamStats {
  totalConnections: number;
  activeUsers: number;
  connectionsPerUser: { userId: string; connectionCount: number }[];
}

export interface StreamRegistryOptions {
  db: Db;
  pubsub: NotificationPubSub;
  log: Logger;
  heartbeatMs: number;
  /** Events a stream may hold for a client that is not reading before it is cut off. */
  maxQueuedEvents?: number;
}

/**
 * Open `notificationEvents` streams, per user. It owns the one heartbeat timer they share, and
 * leaves nothing behind when the last stream closes: no listener, timer or map entry.
 */
export class StreamRegistry {
  readonly #byUser = new Map<string, Set<NotificationStream>>();
  #total = 0;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly options: StreamRegistryOptions) {}

  /**
   * Opens a stream of `userId`'s events. It listens before it reads the user's latest cursor, so
   * nothing committed after that read can be missed; its first event is NotificationStreamReady.
   */
  async open(userId: string): Promise<NotificationStream> {
    const stream = new NotificationStream(userId, {
      maxQueued: this.options.maxQueuedEvents ?? 1_000,
      loadEvents: (afterSeq, beforeSeq) => this.#loadEvents(userId, afterSeq, beforeSeq),
      log: this.options.log,
      onClose: () => this.#remove(stream),
    });
    stream.stopListening = this.options.pubsub.listen(userId, (event) => stream.deliver(event));
    this.#add(stream);
    try {
      const user = await this.options.db.user.findUnique({
        where: { id: userId },
        select: { lastEventSeq: true, _count: { select: { notifications: { where: { readAt: null } } } } },
      });
      stream.start(user?.lastEventSeq ?? 0, user?._count.notifications ?? 0);
    } catch (error) {
      stream.close();
      throw error;
    }
    return stream;
  }

  /** A user's logged events with afterSeq < seq < beforeSeq, in order. */
  async #loadEvents(userId: string, afterSeq: number, beforeSeq: number): Promise<NotificationEventPayload[]> {
    const rows = await this.options.db.userEvent.findMany({
      where: { userId, seq: { gt: afterSeq, lt: beforeSeq } },
      orderBy: { seq: 'asc' },
      select: { payload: true },
    });
    return rows.map((row) => row.payload as unknown as NotificationEventPayload);
  }

  stats(): StreamStats {
    const connectionsPerUser = [...this.#byUser].map(([userId, streams]) => ({
      userId,
      connectionCount: streams.size,
    }));
    return { totalConnections: this.#total, activeUsers: this.#byUser.size, connectionsPerUser };
  }

  /** Completes every open stream (clients see a normal end and may reconnect elsewhere). */
  closeAll(reason = 'server shutting down') {
    for (const streams of [...this.#byUser.values()]) {
      for (const stream of [...streams]) {
        stream.closeReason = reason;
        stream.close();
      }
    }
  }

  /** Whether a heartbeat timer is running: for tests that check nothing is left behind. */
  get hasTimer() {
    return this.#heartbeat !== undefined;
  }

  #add(stream: NotificationStream) {
    const streams = this.#byUser.get(stream.userId) ?? new Set();
    this.#byUser.set(stream.userId, streams);
    streams.add(stream);
    this.#total++;
    this.#heartbeat ??= setInterval(() => this.#beat(), this.options.heartbeatMs);
    this.options.log.info('stream opened', {
      userId: stream.userId,
      userStreams: streams.size,
      totalStreams: this.#total,
    });
  }

  #remove(stream: NotificationStream) {
    const streams = this.#byUser.get(stream.userId);
    if (!streams?.delete(stream)) return;
    if (streams.size === 0) this.#byUser.delete(stream.userId);
    this.#total--;
    if (this.#total === 0) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
    }
    this.options.log.info('stream closed', {
      userId: stream.userId,
      userStreams: streams.size,
      totalStreams: this.#total,
      reason: stream.closeReason,
    });
  }

  #beat() {
    const at = new Date().toISOString();
    for (const streams of this.#byUser.values())
      for (const stream of streams) stream.signal('NotificationStreamHeartbeat', at);
  }
}

interface StreamOptions {
  maxQueued: number;
  loadEvents: (afterSeq: number, beforeSeq: number) => Promise<NotificationEventPayload[]>;
  log: Logger;
  onClose: () => void;
}

/**
 * One subscriber's events, as the async iterator the subscription resolver returns.
 *
 * It delivers a user's events strictly in cursor order, each once. A user's committed events have
 * gap-free sequence numbers (the sequence bump rolls back with its transaction), so an event that
 * arrives ahead of its predecessor means one is late or was lost on the way: the stream holds the
 * newer one and reads the missing ones from the event log. Events the starting cursor already
 * covers, or that came twice, are dropped.
 */
export class NotificationStream implements AsyncIterableIterator<StreamEvent> {
  stopListening: () => void = () => undefined;
  closeReason = 'client left';
  #queue: StreamEvent[] = [];
  #waiting: ((result: IteratorResult<StreamEvent>) => void) | undefined;
  /** Events that arrived before start(), and events that arrived ahead of a gap. */
  #early: NotificationEventPayload[] | undefined = [];
  #ahead = new Map<number, NotificationEventPayload>();
  #filling = false;
  #closed = false;
  #lastSeq = 0;
  #unreadCount = 0;

  constructor(
    readonly userId: string,
    private readonly options: StreamOptions,
  ) {}

  /** Called once the user's latest cursor and unread count are known: emits Ready. */
  start(lastSeq: number, unreadCount: number) {
    const early = this.#early ?? [];
    this.#early = undefined;
    this.#lastSeq = lastSeq;
    this.#unreadCount = unreadCount;
    this.signal('NotificationStreamReady', new Date().toISOString());
    for (const event of early) this.deliver(event);
  }

  /** Takes a published event: delivers it in cursor order, unless the stream has it already. */
  deliver(event: NotificationEventPayload) {
    if (this.#early) {
      this.#early.push(event);
      return;
    }
    const seq = decodeCursor(event.cursor);
    if (seq === null || seq <= this.#lastSeq) return;
    this.#ahead.set(seq, event);
    this.#drain();
  }

  signal(type: StreamSignal['type'], at: string) {
    if (this.#early) return;
    this.#push({ type, at, cursor: encodeCursor(this.#lastSeq), unreadCount: this.#unreadCount } as StreamSignal);
  }

  #drain() {
    for (let next = this.#ahead.get(this.#lastSeq + 1); next; next = this.#ahead.get(this.#lastSeq + 1)) {
      this.#ahead.delete(this.#lastSeq + 1);
      this.#lastSeq++;
      this.#unreadCount = next.unreadCount;
      this.#push(next);
    }
    if (this.#ahead.size > 0 && !this.#filling && !this.#closed) void this.#fillGap();
  }

  async #fillGap() {
    this.#filling = true;
    const upTo = Math.min(...this.#ahead.keys());
    try {
      for (const event of await this.options.loadEvents(this.#lastSeq, upTo)) {
        const seq = decodeCursor(event.cursor);
        if (seq !== null && seq > this.#lastSeq) this.#ahead.set(seq, event);
      }
      if (!this.#ahead.has(this.#lastSeq + 1)) {
        // Not in the log either: nothing can bring it back. Say so, and go on from what is here.
        this.options.log.warn('event log gap', { userId: this.userId, from: this.#lastSeq + 1, to: upTo - 1 });
        this.#lastSeq = upTo - 1;
      }
    } catch (error) {
      this.options.log.error('could not read the event log', { userId: this.userId, ...errorFields(error) });
      this.closeReason = 'event log unreadable';
      this.close();
      return;
    } finally {
      this.#filling = false;
    }
    this.#drain();
  }

  #push(event: StreamEvent) {
    if (this.#closed) return;
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve({ value: event, done: false });
      return;
    }
    this.#queue.push(event);
    // A client that stops reading would otherwise grow this queue without bound.
    if (this.#queue.length > this.options.maxQueued) {
      this.closeReason = 'slow consumer';
      this.close();
    }
  }

  next(): Promise<IteratorResult<StreamEvent>> {
    const event = this.#queue.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<StreamEvent>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Ends the stream: stops listening, leaves the registry, and completes a pending read. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#ahead.clear();
    this.stopListening();
    this.options.onClose();
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
