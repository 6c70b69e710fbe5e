import type { StreamEvent } from '../urql/cache.ts';
import { NotificationStream, type StreamState, type StreamTransport } from './stream.ts';

type Message =
  | { type: 'event'; event: StreamEvent }
  | { type: 'state'; state: StreamState }
  | { type: 'hello' }
  | { type: 'reconnect' }
  | { type: 'disconnect' };

export interface TabStreamOptions {
  /** Tabs with the same key share one stream: the signed-in user's id. */
  key: string;
  transport: StreamTransport;
  /** Every event, in order, whether this tab streams it or another tab relays it. */
  onEvent(event: StreamEvent): void;
  locks?: LockManager | null;
  channel?: (name: string) => BroadcastChannel | null;
  /** Where the browser's `online` event fires (window); back online, a broken stream reconnects at once. */
  network?: EventTarget | null;
}

/**
 * One stream per browser: the tab holding a Web Lock streams and relays every event and status
 * change over a BroadcastChannel; the other tabs apply what they are sent. When the streaming tab
 * closes, the browser hands the lock to another tab, which resumes after the last cursor it saw.
 * Without Web Locks (older browsers, insecure origins) every tab streams for itself.
 */
export class TabStream {
  #state: StreamState = { status: 'connecting', retryAt: null, ended: null, cursor: '' };
  #listeners = new Set<() => void>();
  #stream: NotificationStream | null = null;
  #channel: BroadcastChannel | null = null;
  #release: (() => void) | null = null;
  #network: EventTarget | null = null;
  readonly #online = () => {
    if (this.#state.status !== 'connected') this.reconnect();
  };
  #abort = new AbortController();
  /** Counts start() calls: a lock granted to an earlier start (React's StrictMode starts twice) is handed straight back. */
  #generation = 0;

  constructor(private readonly options: TabStreamOptions) {}

  get state(): StreamState {
    return this.#state;
  }

  /** Whether this tab holds the browser's stream. */
  get leading(): boolean {
    return this.#stream !== null;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /**
   * Joins the browser's stream (leading it or following the tab that does). Again after stop() is
   * fine. `cursor`: where this tab's cache stands (stored from an earlier visit), when it has no
   * newer one: leading, it resumes after it.
   */
  start(cursor?: string) {
    if (cursor && !this.#state.cursor) this.#state = { ...this.#state, cursor };
    const generation = ++this.#generation;
    this.#abort = new AbortController();
    this.#network = this.options.network === undefined ? (globalThis.window ?? null) : this.options.network;
    this.#network?.addEventListener('online', this.#online);
    const locks = this.options.locks === undefined ? globalThis.navigator?.locks : this.options.locks;
    const openChannel =
      this.options.channel ??
      ((name: string) => (typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(name)));
    if (locks) this.#channel = openChannel(`tidings:${this.options.key}`);
    if (!locks || !this.#channel) {
      this.#lead();
      return;
    }
    this.#channel.onmessage = (message: MessageEvent<Message>) => this.#receive(message.data);
    this.#post({ type: 'hello' });
    locks
      .request(`tidings:stream:${this.options.key}`, { signal: this.#abort.signal }, () => {
        if (generation !== this.#generation) return;
        this.#lead();
        // Held until this tab stops or closes; then the browser gives it to the next tab.
        return new Promise<void>((resolve) => {
          this.#release = resolve;
        });
      })
      .catch(() => {
        // Aborted on stop() before this tab got the lock: nothing to release.
      });
  }

  reconnect() {
    if (this.#stream) this.#stream.reconnect();
    else this.#post({ type: 'reconnect' });
  }

  disconnect() {
    if (this.#stream) this.#stream.disconnect();
    else this.#post({ type: 'disconnect' });
  }

  /** Closes this tab's part: its stream (handing the lock on), its channel, its lock request. */
  stop() {
    this.#generation++;
    this.#network?.removeEventListener('online', this.#online);
    this.#network = null;
    // Quietly: the tab that takes over tells the others its own state.
    this.#channel?.close();
    this.#channel = null;
    this.#stream?.disconnect();
    this.#stream = null;
    this.#abort.abort();
    this.#release?.();
    this.#release = null;
  }

  #lead() {
    const stream = new NotificationStream({
      transport: this.options.transport,
      cursor: this.#state.cursor,
      onEvent: (event) => {
        this.options.onEvent(event);
        this.#post({ type: 'event', event });
      },
    });
    this.#stream = stream;
    stream.subscribe(() => {
      this.#set(stream.state);
      this.#post({ type: 'state', state: stream.state });
    });
    stream.reconnect();
  }

  #receive(message: Message) {
    if (this.#stream) {
      if (message.type === 'hello') this.#post({ type: 'state', state: this.#stream.state });
      else if (message.type === 'reconnect') this.#stream.reconnect();
      else if (message.type === 'disconnect') this.#stream.disconnect();
      return;
    }
    if (message.type === 'event') {
      this.options.onEvent(message.event);
      if (message.event.cursor) this.#set({ ...this.#state, cursor: message.event.cursor });
    } else if (message.type === 'state') {
      this.#set(message.state);
    }
  }

  #post(message: Message) {
    this.#channel?.postMessage(message);
  }

  #set(state: StreamState) {
    this.#state = state;
    for (const listener of this.#listeners) listener();
  }
}
