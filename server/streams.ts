import type { Db } from './db.ts';
import {
  decodeCursor,
  encodeCursor,
  type NotificationEventPayload,
  type StreamEvent,
  type StreamSignal,
} from './events.ts';
import type { Logger } from './log.ts';
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
    const stream = new NotificationStream(userId, this.options.maxQueuedEvents ?? 1_000, () => this.#remove(stream));
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

  stats(): StreamStats {
    const connectionsPerUser = [...this.#byUser].map(([userId, streams]) => ({
      userId,
      connectionCount: streams.size,
    }));
    return { totalConnections: this.#total, activeUsers: this.#byUser.size, connectionsPerUser };
  }

  /** Completes every open stream (clients see a normal end and may reconnect elsewhere). */
  closeAll() {
    for (const streams of [...this.#byUser.values()]) for (const stream of [...streams]) stream.close();
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

/**
 * One subscriber's events, as the async iterator the subscription resolver returns. Events that
 * arrive before the stream has started are held, and those the starting cursor already covers are
 * dropped, so the client sees Ready first and then every later event exactly once, in order.
 */
export class NotificationStream implements AsyncIterableIterator<StreamEvent> {
  stopListening: () => void = () => undefined;
  closeReason = 'client left';
  #queue: StreamEvent[] = [];
  #waiting: ((result: IteratorResult<StreamEvent>) => void) | undefined;
  #started = false;
  #closed = false;
  #lastSeq = 0;
  #unreadCount = 0;

  constructor(
    readonly userId: string,
    private readonly maxQueued: number,
    private readonly onClose: () => void,
  ) {}

  /** Called once the user's latest cursor and unread count are known: emits Ready. */
  start(lastSeq: number, unreadCount: number) {
    const early = this.#queue;
    this.#queue = [];
    this.#started = true;
    this.#lastSeq = lastSeq;
    this.#unreadCount = unreadCount;
    this.signal('NotificationStreamReady', new Date().toISOString());
    for (const event of early) this.deliver(event as NotificationEventPayload);
  }

  /** Hands a published event to the client, unless the stream's starting point already covers it. */
  deliver(event: NotificationEventPayload) {
    if (!this.#started) {
      this.#push(event);
      return;
    }
    const seq = decodeCursor(event.cursor) ?? 0;
    if (seq <= this.#lastSeq) return;
    this.#lastSeq = seq;
    this.#unreadCount = event.unreadCount;
    this.#push(event);
  }

  signal(type: StreamSignal['type'], at: string) {
    if (!this.#started) return;
    this.#push({ type, at, cursor: encodeCursor(this.#lastSeq), unreadCount: this.#unreadCount } as StreamSignal);
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
    if (this.#queue.length > this.maxQueued) {
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
    this.stopListening();
    this.onClose();
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
