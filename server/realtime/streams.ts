// server/realtime owns live delivery: each user's open streams (this module: cursor order, replay,
// gap repair, heartbeats, the slow-consumer limit), the typed pub/sub keyed by user id
// (pubsub.ts), the event types (events.ts), the one slot scheduler (scheduler.ts), and stream
// statistics (stats.ts). It never imports graphql, schema, http or store: it reads the log and
// checks credentials through functions it is handed, writes to a sink, and raises its own errors
// (errors.ts), which the schema answers as GraphQL errors.
import { errorFields, type Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { TooManyStreams } from './errors.ts';
import type { EventLogReader } from './event-log-reader.ts';
import {
  countsOf,
  decodeCursor,
  type EventSubscriber,
  encodeCursor,
  type NotificationCounts,
  type NotificationEventPayload,
  noCounts,
  type ResyncReason,
  type StreamEndReason,
  type StreamEvent,
} from './events.ts';
import { SlotScheduler } from './scheduler.ts';
import type { StreamStats } from './stats.ts';

export interface StreamRegistryOptions {
  /** The per-user event log, as streams read it. */
  eventLog: EventLogReader;
  /** Which of the open streams' credentials have ended (server/auth/credentials.ts). */
  checkCredentials: CredentialCheck;
  /** Where each stream hears its user's events: the pub/sub. */
  pubsub: EventSubscriber;
  log: Logger;
  metrics: Metrics;
  heartbeatMs: number;
  /** Bytes of events a stream may hold for a client that is not reading before it is cut off. */
  maxBufferBytes: number;
  /** Open streams one user may have; the next one is refused with TooManyStreams. */
  maxStreamsPerUser: number;
  /** How often streams check that the session or API key they were opened with is still valid. */
  credentialCheckMs: number;
}

/** What a stream was opened with: it ends when this ends. */
export type StreamCredential = { kind: 'session'; id: string } | { kind: 'apiKey'; id: string };

/**
 * Of these holders (a stream each), the ones whose credential ended, and why: a session expired or
 * revoked, an API key deleted, disabled or expired, a user banned.
 */
export type CredentialCheck = <T extends { userId: string; credential: StreamCredential }>(
  holders: T[],
) => Promise<Map<T, StreamEndReason>>;

/**
 * What lies between a stream and its client, for the slow-consumer limit: what it holds that the
 * client has not taken, and how to cut the client off. Iterated streams see only this part of
 * their sink (graphql-sse's queue in single-connection mode, the Node response under Yoga).
 */
export interface StreamBuffer {
  /** Bytes taken from the stream that the client has not read yet (queues downstream, the socket's buffer). */
  readonly bufferedBytes: number;
  /** Cuts the client off: it stopped reading, and what it left unread holds memory. */
  cut(): void;
}

/** Where a piped stream writes its events as they come (stream-endpoint.ts: the Node response). */
export interface StreamSink extends StreamBuffer {
  /** Takes the next event; false when it cannot take another yet: events then wait in the stream until `resume()`. */
  write(event: StreamEvent): boolean;
  /** No event comes after this. */
  end(): void;
}

export interface OpenOptions {
  /** Resume after this cursor: replay the user's logged events after it, then go live. */
  after?: string | null;
  credential: StreamCredential;
  /** What an iterated stream's events pass through on their way to the client (a piped stream's sink says it itself). */
  buffer?: StreamBuffer | undefined;
  /** Aborts when the client leaves (the request's signal, where there is one): the stream then closes, even while it opens. */
  signal?: AbortSignal | undefined;
  /** The single-connection reservation the stream runs in: its first stream takes the reservation's slot. */
  reservation?: StreamReservation | undefined;
}

/**
 * A graphql-sse reservation (single-connection mode) of one user. It holds one of the user's
 * TIDINGS_MAX_STREAMS_PER_USER slots while no stream runs in it, so reservations count as
 * distinct-mode streams do, and a tab whose one connection carries one stream counts once.
 */
export class StreamReservation {
  /** Streams open in it now. */
  streams = 0;
  released = false;
  constructor(readonly userId: string) {}
}

/** Events read from the log per query while replaying. */
const replayPage = 500;

/**
 * Open `notificationEvents` streams, per user. It owns the timers they share (heartbeat,
 * credential check) and leaves nothing behind when the last stream closes: no listener, timer or
 * map entry.
 */
export class StreamRegistry {
  readonly #byUser = new Map<string, Set<NotificationStream>>();
  /** Reservations without a stream in them, per user: each holds a stream slot. */
  readonly #idleReservations = new Map<string, number>();
  #total = 0;
  /**
   * Beats every stream once per heartbeatMs, spread over the interval: at 10,000 streams, beating
   * all at once stalled every event behind it for the better part of a second, and even a tenth
   * of them at once for about 150 ms.
   */
  readonly #heartbeats: SlotScheduler<NotificationStream>;
  #credentialCheck: NodeJS.Timeout | undefined;
  /** What every stream needs of the registry: one object for all, not closures for each. */
  readonly #shared: SharedStreamOptions;

  constructor(private readonly options: StreamRegistryOptions) {
    this.#heartbeats = new SlotScheduler(options.heartbeatMs, (stream) => {
      stream.heartbeat(now());
      return true;
    });
    // One event object is shared by all of a user's streams: its size is reckoned once.
    const sizes = new WeakMap<StreamEvent, number>();
    this.#shared = {
      maxBufferBytes: options.maxBufferBytes,
      log: options.log,
      metrics: options.metrics,
      loadEvents: (userId, afterSeq, beforeSeq, limit) => options.eventLog.read(userId, afterSeq, beforeSeq, limit),
      remove: (stream) => this.#remove(stream),
      sizeOf: (event) => {
        let size = sizes.get(event);
        if (size === undefined) {
          size = wireSize(event);
          sizes.set(event, size);
        }
        return size;
      },
    };
  }

  /** How often streams hear a heartbeat: clients size their watchdog from it. */
  get heartbeatMs(): number {
    return this.options.heartbeatMs;
  }

  /**
   * Opens a stream of `userId`'s events. It listens (and waits until the pub/sub confirms it) before
   * it reads the user's latest cursor, so nothing committed after that read can be missed. With
   * `after`, the events after that cursor are replayed from the log first.
   */
  async open(userId: string, options: OpenOptions): Promise<NotificationStream> {
    const reservation =
      options.reservation && !options.reservation.released && options.reservation.userId === userId
        ? options.reservation
        : undefined;
    if (reservation?.streams === 0) this.#countIdle(userId, -1);
    else this.#refuseOverLimit(userId);
    if (reservation) reservation.streams++;
    const stream = new NotificationStream(userId, options.credential, this.#shared, options.buffer);
    stream.reservation = reservation;
    const listening = this.options.pubsub.listen(userId, (event) => stream.deliver(event));
    stream.stopListening = listening.stop;
    this.#add(stream);
    // Only now: a stream closed before it was added and listening would stay in the registry.
    const { signal } = options;
    if (signal?.aborted) stream.close();
    else signal?.addEventListener('abort', () => stream.close(), { once: true });
    try {
      await listening.ready;
      const { latest, counts } = await this.options.eventLog.start(userId);
      const afterSeq = options.after == null ? latest : decodeCursor(options.after);
      const resync = await this.#resyncReason(userId, afterSeq, latest);
      if (resync) {
        this.options.metrics.resyncs.inc();
        stream.begin({ from: latest, latest, counts, resync });
      } else {
        stream.begin({ from: afterSeq as number, latest, counts });
      }
    } catch (error) {
      stream.close('error');
      throw error;
    }
    return stream;
  }

  /**
   * Takes a stream slot of `userId` for a single-connection reservation, or throws
   * TooManyStreams when the user's open streams and reservations fill them all.
   */
  reserve(userId: string): StreamReservation {
    this.#refuseOverLimit(userId);
    this.#countIdle(userId, 1);
    return new StreamReservation(userId);
  }

  /** Gives a reservation's slot back (it expired, or its connection ended); its streams keep theirs until they close. */
  release(reservation: StreamReservation) {
    if (reservation.released) return;
    reservation.released = true;
    if (reservation.streams === 0) this.#countIdle(reservation.userId, -1);
  }

  /** Reservations of `userId` holding a slot now (none of their streams open). */
  idleReservations(userId: string): number {
    return this.#idleReservations.get(userId) ?? 0;
  }

  #refuseOverLimit(userId: string) {
    const used = (this.#byUser.get(userId)?.size ?? 0) + this.idleReservations(userId);
    if (used < this.options.maxStreamsPerUser) return;
    this.options.metrics.streamsRefused.inc();
    throw new TooManyStreams(this.options.maxStreamsPerUser);
  }

  #countIdle(userId: string, delta: number) {
    const count = this.idleReservations(userId) + delta;
    if (count > 0) this.#idleReservations.set(userId, count);
    else this.#idleReservations.delete(userId);
  }

  /** Why a stream cannot resume after `afterSeq`, or null when the log holds every event since. */
  async #resyncReason(userId: string, afterSeq: number | null, latest: number): Promise<ResyncReason | null> {
    if (afterSeq === null || afterSeq > latest) return 'CURSOR_UNKNOWN';
    if (afterSeq === latest) return null;
    return (await this.options.eventLog.has(userId, afterSeq + 1)) ? null : 'CURSOR_EXPIRED';
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
    for (const stream of this.#all()) stream.close(reason);
  }

  /** Ends the streams opened with these sessions at once (a sign-out), telling their clients why. */
  endSessions(sessionIds: string[], reason: StreamEndReason) {
    const ids = new Set(sessionIds);
    for (const stream of this.#all()) {
      if (stream.credential.kind === 'session' && ids.has(stream.credential.id)) stream.end(reason);
    }
  }

  /** Ends every stream of a user at once (a ban), telling their clients why. */
  endUser(userId: string, reason: StreamEndReason) {
    for (const stream of [...(this.#byUser.get(userId) ?? [])]) stream.end(reason);
  }

  /** Has every stream read the log for events it may have missed (after the pub/sub was down). */
  catchUpAll() {
    for (const stream of this.#all()) stream.catchUp();
  }

  /** Whether a timer is running: for tests that check nothing is left behind. */
  get hasTimer() {
    return this.#heartbeats.ticking || this.#credentialCheck !== undefined;
  }

  *#all() {
    for (const streams of [...this.#byUser.values()]) yield* [...streams];
  }

  #add(stream: NotificationStream) {
    const streams = this.#byUser.get(stream.userId) ?? new Set();
    this.#byUser.set(stream.userId, streams);
    streams.add(stream);
    this.#total++;
    this.options.metrics.openStreams.set(this.#total);
    this.options.metrics.activeUsers.set(this.#byUser.size);
    // A stream hears its first heartbeat one interval after it opened.
    this.#heartbeats.add(stream);
    this.#credentialCheck ??= setInterval(() => void this.#checkCredentials(), this.options.credentialCheckMs);
    this.options.log.info('stream opened', {
      userId: stream.userId,
      userStreams: streams.size,
      totalStreams: this.#total,
    });
  }

  #remove(stream: NotificationStream) {
    const streams = this.#byUser.get(stream.userId);
    if (!streams?.delete(stream)) return;
    const { reservation } = stream;
    // The reservation's last stream gives the slot back to the reservation, while it lasts.
    if (reservation && --reservation.streams === 0 && !reservation.released) this.#countIdle(stream.userId, 1);
    this.#heartbeats.delete(stream);
    if (streams.size === 0) this.#byUser.delete(stream.userId);
    this.#total--;
    this.options.metrics.openStreams.set(this.#total);
    this.options.metrics.activeUsers.set(this.#byUser.size);
    if (this.#total === 0) {
      clearInterval(this.#credentialCheck);
      this.#credentialCheck = undefined;
    }
    this.options.log.info('stream closed', {
      userId: stream.userId,
      userStreams: streams.size,
      totalStreams: this.#total,
      reason: stream.closeReason,
    });
  }

  /**
   * Ends streams whose session expired or was revoked, whose API key was deleted, disabled or
   * expired, or whose user was banned (on another instance: the one that banned ends them at once).
   */
  async #checkCredentials() {
    try {
      const streams = [...this.#all()];
      for (const [stream, reason] of await this.options.checkCredentials(streams)) stream.end(reason);
    } catch (error) {
      this.options.log.warn('could not check stream credentials', errorFields(error));
    }
  }
}

interface Replay {
  upTo: number;
  count: number;
  counts: NotificationCounts;
  /** Events read from the log and not handed on yet, from `next` on: a page goes out only as fast as the client takes it. */
  page: NotificationEventPayload[];
  next: number;
  /** The last page read was the log's last. */
  exhausted: boolean;
}

interface SharedStreamOptions {
  maxBufferBytes: number;
  loadEvents: (
    userId: string,
    afterSeq: number,
    beforeSeq: number | null,
    limit?: number,
  ) => Promise<NotificationEventPayload[]>;
  log: Logger;
  metrics: Metrics;
  /** Takes a closed stream out of the registry. */
  remove: (stream: NotificationStream) => void;
  /** About how many bytes an event takes on the wire, reckoned once per event for all its streams. */
  sizeOf: (event: StreamEvent) => number;
}

/**
 * One subscriber's events, as the async iterator the subscription resolver returns.
 *
 * It delivers a user's events strictly in cursor order, each once. A replay reads the log a page at
 * a time as the client reads, while live events wait behind it. A user's committed events have
 * gap-free sequence numbers (the sequence bump rolls back with its transaction), so a live event
 * that arrives ahead of its predecessor means one is late or was lost on the way: the stream holds
 * the newer one and reads the missing ones from the log. Events already delivered are dropped.
 */
export class NotificationStream implements AsyncIterableIterator<StreamEvent> {
  stopListening: () => void = noop;
  reservation: StreamReservation | undefined;
  closeReason = 'client left';
  #queue: StreamEvent[] = [];
  #queuedBytes = 0;
  #waiting: ((result: IteratorResult<StreamEvent>) => void) | undefined;
  /** Set when the stream is piped instead of iterated. */
  #sink: StreamSink | undefined;
  #paused = false;
  #flushing = false;
  #replaying = false;
  #sinkEnded = false;
  /** Live events that arrived before the stream began or while it replays. */
  #held: NotificationEventPayload[] | undefined = [];
  #heldBytes = 0;
  /** Events that arrived ahead of their predecessor, by sequence number; made when first needed. */
  #ahead: Map<number, NotificationEventPayload> | undefined;
  #replay: Replay | undefined;
  #filling = false;
  /** A catch-up asked for while the stream could not run it yet (replaying, or reading the log). */
  #catchUpWaiting = false;
  #closed = false;
  #lastSeq = 0;
  #counts: NotificationCounts = noCounts;

  constructor(
    readonly userId: string,
    readonly credential: StreamCredential,
    private readonly options: SharedStreamOptions,
    /** Until the stream is piped; then its sink. */
    private buffer: StreamBuffer | undefined,
  ) {}

  /**
   * Starts the stream at cursor `from`: Ready at once when it is the latest, else after replaying
   * the logged events up to `latest`; Resync then Ready when the log cannot serve the cursor.
   */
  begin({
    from,
    latest,
    counts,
    resync,
  }: {
    from: number;
    latest: number;
    counts: NotificationCounts;
    resync?: ResyncReason;
  }) {
    this.#lastSeq = from;
    this.#counts = counts;
    if (resync) {
      this.#push({ type: 'NotificationStreamResync', at: now(), reason: resync, ...this.#position() });
    }
    if (from < latest) {
      this.#replay = { upTo: latest, count: 0, counts, page: [], next: 0, exhausted: false };
      return;
    }
    this.#goLive(0);
  }

  /** Takes a published event: delivers it in cursor order, unless the stream has it already. */
  deliver(event: NotificationEventPayload) {
    if (this.#closed) return;
    if (this.#held) {
      this.#held.push(event);
      this.#heldBytes += this.options.sizeOf(event);
      this.#checkBuffer();
      return;
    }
    const seq = decodeCursor(event.cursor);
    if (seq === null || seq <= this.#lastSeq) return;
    this.#holdAhead(seq, event);
    this.#drain();
  }

  heartbeat(at: string) {
    if (this.#held) return;
    this.#push({ type: 'NotificationStreamHeartbeat', at, ...this.#position() });
  }

  /** Ends the stream with a final NotificationStreamEnded event: the client must not just reconnect. */
  end(reason: StreamEndReason) {
    if (this.#closed) return;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#push({ type: 'NotificationStreamEnded', at: now(), reason, ...this.#position() });
    this.close(reason);
  }

  #position() {
    return { cursor: encodeCursor(this.#lastSeq), unreadCount: this.#counts.unread, counts: this.#counts };
  }

  #goLive(replayed: number) {
    this.#push({ type: 'NotificationStreamReady', at: now(), replayed, ...this.#position() });
    const held = this.#held ?? [];
    this.#held = undefined;
    this.#heldBytes = 0;
    for (const event of held) this.deliver(event);
    this.#catchUpIfWaiting();
  }

  /** Reads the next page of a replay; when it is done, sends Ready and lets live events through. */
  /**
   * Hands on the next events of a replay, reading the next page of the log when the last one is
   * out. A page can hold far more than the slow-consumer limit (500 events of up to about 8 KB), so
   * it goes out only while the client keeps up: until the sink pushes back, or a quarter of the
   * limit is queued for an iterating reader. The rest waits here, uncounted, until the stream is
   * empty again: a client that reads is never cut off by its own replay.
   */
  async #replayNext(replay: Replay) {
    if (replay.next >= replay.page.length && !replay.exhausted) {
      replay.page = await this.options.loadEvents(this.userId, this.#lastSeq, replay.upTo + 1, replayPage);
      replay.next = 0;
      replay.exhausted = replay.page.length < replayPage;
    }
    const enough = this.options.maxBufferBytes / 4;
    while (replay.next < replay.page.length && !this.#closed) {
      const event = replay.page[replay.next++] as NotificationEventPayload;
      const seq = decodeCursor(event.cursor);
      if (seq !== this.#lastSeq + 1) {
        // Pruned while we were reading: the client must refetch, as with any expired cursor.
        this.options.metrics.resyncs.inc();
        this.#lastSeq = replay.upTo;
        this.#counts = replay.counts;
        this.#push({ type: 'NotificationStreamResync', at: now(), reason: 'CURSOR_EXPIRED', ...this.#position() });
        replay.page = [];
        replay.next = 0;
        break;
      }
      this.#lastSeq = seq;
      this.#counts = countsOf(event);
      replay.count++;
      this.options.metrics.eventsReplayed.inc();
      this.#push(event);
      if (this.#paused || this.#queuedBytes >= enough) break;
    }
    if (replay.next >= replay.page.length && (this.#lastSeq >= replay.upTo || replay.exhausted)) {
      this.#replay = undefined;
      this.#lastSeq = Math.max(this.#lastSeq, replay.upTo);
      this.#goLive(replay.count);
    }
  }

  #holdAhead(seq: number, event: NotificationEventPayload) {
    this.#ahead ??= new Map();
    this.#ahead.set(seq, event);
  }

  #drain() {
    const ahead = this.#ahead;
    if (!ahead) return;
    for (let next = ahead.get(this.#lastSeq + 1); next; next = ahead.get(this.#lastSeq + 1)) {
      ahead.delete(this.#lastSeq + 1);
      this.#lastSeq++;
      this.#counts = countsOf(next);
      this.#push(next);
    }
    // Nothing waits (the usual case): let the map go, it is most of an idle stream's own memory.
    if (ahead.size === 0) this.#ahead = undefined;
    else if (!this.#filling && !this.#closed) void this.#fillGap();
  }

  /**
   * Reads whatever the log has after the last delivered event: after an outage of the pub/sub,
   * events published meanwhile reached no other instance. A stream still replaying, or reading the
   * log already, catches up once that is done.
   */
  catchUp() {
    if (this.#closed) return;
    if (this.#held || this.#filling) this.#catchUpWaiting = true;
    else void this.#catchUpFromLog();
  }

  #catchUpIfWaiting() {
    if (!this.#catchUpWaiting || this.#held || this.#filling) return;
    this.#catchUpWaiting = false;
    this.catchUp();
  }

  #catchUpFromLog() {
    return this.#readLog(async () => {
      // A page at a time, each delivered before the next is read; `after` moves on even past a
      // pruned gap (which #drain then reports), so the loop always ends.
      for (let after = this.#lastSeq; !this.#closed; ) {
        const page = await this.options.loadEvents(this.userId, after, null, replayPage);
        for (const event of page) {
          const seq = decodeCursor(event.cursor);
          if (seq === null) continue;
          after = Math.max(after, seq);
          if (seq > this.#lastSeq && !this.#closed) this.#holdAhead(seq, event);
        }
        this.#drain();
        if (page.length < replayPage) break;
      }
    });
  }

  /** Reads the events missing before the first one held ahead, from the log. */
  #fillGap() {
    const upTo = Math.min(...(this.#ahead?.keys() ?? []));
    return this.#readLog(async () => {
      for (const event of await this.options.loadEvents(this.userId, this.#lastSeq, upTo)) {
        const seq = decodeCursor(event.cursor);
        if (seq !== null && seq > this.#lastSeq && !this.#closed) this.#holdAhead(seq, event);
      }
      if (!this.#ahead?.has(this.#lastSeq + 1)) {
        // Not in the log either (pruned): nothing can bring it back. Say so, and go on from here.
        this.options.log.warn('event log gap', { userId: this.userId, from: this.#lastSeq + 1, to: upTo - 1 });
        this.#lastSeq = upTo - 1;
        this.#push({ type: 'NotificationStreamResync', at: now(), reason: 'CURSOR_EXPIRED', ...this.#position() });
      }
    });
  }

  /**
   * Runs one read of the log outside the replay (a gap, a catch-up): one at a time, a log that
   * cannot be read closes the stream, and what came in meanwhile is delivered after it.
   */
  async #readLog(read: () => Promise<void>) {
    this.#filling = true;
    try {
      await read();
    } catch (error) {
      this.options.log.error('could not read the event log', { userId: this.userId, ...errorFields(error) });
      this.close('event log unreadable');
      return;
    } finally {
      this.#filling = false;
    }
    this.#drain();
    this.#catchUpIfWaiting();
  }

  #push(event: StreamEvent) {
    if (this.#closed) return;
    if (isLogged(event)) this.options.metrics.eventsDelivered.inc();
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve({ value: event, done: false });
    } else if (this.#sink && !this.#paused && this.#queue.length === 0) {
      if (!this.#sink.write(event)) this.#paused = true;
    } else {
      this.#queue.push(event);
      this.#queuedBytes += this.options.sizeOf(event);
    }
    this.#checkBuffer();
  }

  /**
   * A client that stops reading would otherwise make the server hold its events without bound:
   * in this stream's queue, or, as Yoga keeps writing, in the socket's buffer.
   */
  #checkBuffer() {
    const buffered = this.#queuedBytes + this.#heldBytes + (this.buffer?.bufferedBytes ?? 0);
    if (buffered <= this.options.maxBufferBytes) return;
    this.options.metrics.slowConsumers.inc();
    this.options.log.warn('slow consumer disconnected', { userId: this.userId, bufferedBytes: buffered });
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.close('slow consumer');
    this.buffer?.cut();
  }

  next(): Promise<IteratorResult<StreamEvent>> {
    const event = this.#queue.shift();
    if (event) {
      this.#queuedBytes -= this.options.sizeOf(event);
      return Promise.resolve({ value: event, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    if (this.#replay) {
      return this.#replayNext(this.#replay).then(
        () => this.next(),
        (error: unknown) => {
          this.options.log.error('could not replay the event log', { userId: this.userId, ...errorFields(error) });
          this.close('event log unreadable');
          return { value: undefined, done: true };
        },
      );
    }
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  /**
   * Writes the stream's events to `sink` as they come, instead of being iterated: no promise per
   * event, and nothing waiting per idle stream. When the sink cannot take more, events wait here
   * (and count toward the slow-consumer limit) until `resume()`; a replay reads its next page only
   * while the sink takes events, as an iterated stream reads one when the client pulls.
   */
  pipe(sink: StreamSink) {
    this.#sink = sink;
    this.buffer = sink;
    this.#flush();
  }

  /** The sink can take events again. */
  resume() {
    this.#paused = false;
    this.#flush();
  }

  #flush() {
    const sink = this.#sink;
    if (!sink || this.#flushing) return;
    this.#flushing = true;
    try {
      while (!this.#paused) {
        const event = this.#queue.shift();
        if (event) {
          this.#queuedBytes -= this.options.sizeOf(event);
          if (!sink.write(event)) this.#paused = true;
        } else if (this.#closed) {
          if (!this.#sinkEnded) {
            this.#sinkEnded = true;
            sink.end();
          }
          return;
        } else {
          if (this.#replay && !this.#replaying) void this.#replayToSink(this.#replay);
          return;
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #replayToSink(replay: Replay) {
    this.#replaying = true;
    try {
      await this.#replayNext(replay);
    } catch (error) {
      this.options.log.error('could not replay the event log', { userId: this.userId, ...errorFields(error) });
      this.close('event log unreadable');
    } finally {
      this.#replaying = false;
    }
    this.#flush();
  }

  return(): Promise<IteratorResult<StreamEvent>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Ends the stream: stops listening, leaves the registry, and completes a pending read. */
  close(reason?: string) {
    if (this.#closed) return;
    if (reason) this.closeReason = reason;
    this.#closed = true;
    this.#held = undefined;
    this.#ahead = undefined;
    this.stopListening();
    this.options.remove(this);
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ value: undefined, done: true });
    // A piped stream writes what is queued (an Ended event, say), then ends its sink.
    this.#flush();
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

function noop() {}

function now() {
  return new Date().toISOString();
}

function isLogged(event: StreamEvent): event is NotificationEventPayload {
  return !event.type.startsWith('NotificationStream');
}

/** About how many bytes an event takes on the wire. */
function wireSize(event: StreamEvent): number {
  return JSON.stringify(event).length + 64;
}
