import type { StreamEvent } from '../urql/cache.ts';
import { reconnectDelay } from './backoff.ts';
import { browserTimers, type Timers, Watchdog } from './watchdog.ts';

export type StreamStatus = 'connecting' | 'connected' | 'disconnected' | 'error';

/** Why the stream stopped for good: sign in again. */
export type EndReason = 'SESSION_EXPIRED' | 'SESSION_REVOKED' | 'API_KEY_REVOKED' | 'USER_BANNED' | 'UNAUTHENTICATED';

export interface StreamState {
  status: StreamStatus;
  /** When status is 'error': the time (ms since the epoch) of the next attempt. */
  retryAt: number | null;
  /** Set when the credentials ended; the stream will not retry. */
  ended: EndReason | null;
  /** The cursor of the last event applied; a reconnect resumes after it. */
  cursor: string;
}

export interface StreamSink {
  next(event: StreamEvent): void;
  error(error: unknown): void;
  complete(): void;
}

/** Opens one `notificationEvents` subscription after `cursor`; the returned function closes it. */
export type StreamTransport = (cursor: string | null, sink: StreamSink) => () => void;

/** The server answered that this browser is not signed in (any more). */
export class UnauthenticatedError extends Error {
  constructor() {
    super('Not signed in.');
  }
}

export interface NotificationStreamOptions {
  transport: StreamTransport;
  /** Every event, in order, for the cache. */
  onEvent(event: StreamEvent): void;
  /** Where to start: the last cursor this browser applied, or '' for "from now". */
  cursor?: string;
  /** Until NotificationStreamReady says otherwise (the server's default). */
  heartbeatMs?: number;
  timers?: Timers;
  random?: () => number;
}

/**
 * One live `notificationEvents` stream that heals itself: it reconnects after failures with
 * backoff (1, 2, 4, 8, 16, then 30 s, forever; a connection that reaches Ready resets it), treats
 * 2.5 heartbeats of silence as death, and resumes after the last cursor it applied, so a
 * reconnect loses nothing. It stops for good when the server says the credentials ended.
 */
export class NotificationStream {
  #state: StreamState;
  #listeners = new Set<() => void>();
  #close: (() => void) | null = null;
  #retry: unknown;
  #attempt = 0;
  #connection = 0;
  readonly #watchdog: Watchdog;
  readonly #timers: Timers;

  constructor(private readonly options: NotificationStreamOptions) {
    this.#timers = options.timers ?? browserTimers;
    this.#state = { status: 'disconnected', retryAt: null, ended: null, cursor: options.cursor ?? '' };
    this.#watchdog = new Watchdog(
      options.heartbeatMs ?? 30_000,
      () => this.#fail(new Error('stream silent')),
      this.#timers,
    );
  }

  get state(): StreamState {
    return this.#state;
  }

  /** For `useSyncExternalStore`: called after every state change. */
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** Connects now, cancelling any wait; the backoff starts over. */
  reconnect() {
    if (this.#state.ended) return;
    this.#attempt = 0;
    this.#connect();
  }

  /** Closes the stream and stops retrying until `reconnect()`. */
  disconnect() {
    this.#teardown();
    this.#set({ status: 'disconnected', retryAt: null });
  }

  #connect() {
    this.#teardown();
    const connection = ++this.#connection;
    const current = () => connection === this.#connection;
    this.#set({ status: 'connecting', retryAt: null });
    this.#watchdog.kick();
    this.#close = this.options.transport(this.#state.cursor || null, {
      next: (event) => current() && this.#receive(event),
      error: (error) => current() && this.#fail(error),
      // Servers complete streams when they shut down: come back like after any failure.
      complete: () => current() && this.#fail(new Error('stream completed')),
    });
  }

  #receive(event: StreamEvent) {
    this.#watchdog.kick();
    this.options.onEvent(event);
    const cursor = event.cursor || this.#state.cursor;
    switch (event.__typename) {
      case 'NotificationStreamReady':
        this.#attempt = 0;
        this.#watchdog.heartbeatMs = event.heartbeatMs;
        this.#set({ status: 'connected', retryAt: null, cursor });
        break;
      case 'NotificationStreamEnded':
        this.#teardown();
        this.#set({ status: 'disconnected', retryAt: null, ended: event.endReason, cursor });
        break;
      default:
        if (cursor !== this.#state.cursor) this.#set({ cursor });
    }
  }

  #fail(error: unknown) {
    this.#teardown();
    if (error instanceof UnauthenticatedError) {
      this.#set({ status: 'disconnected', retryAt: null, ended: 'UNAUTHENTICATED' });
      return;
    }
    const delay = reconnectDelay(this.#attempt++, this.options.random);
    this.#retry = this.#timers.setTimeout(() => {
      this.#retry = undefined;
      this.#connect();
    }, delay);
    this.#set({ status: 'error', retryAt: this.#timers.now() + delay });
  }

  #teardown() {
    this.#connection++;
    this.#watchdog.stop();
    if (this.#retry !== undefined) this.#timers.clearTimeout(this.#retry);
    this.#retry = undefined;
    const close = this.#close;
    this.#close = null;
    close?.();
  }

  #set(change: Partial<StreamState>) {
    this.#state = { ...this.#state, ...change };
    for (const listener of this.#listeners) listener();
  }
}
