/** Timer functions, so tests can drive time. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const browserTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/** A stream that hears nothing for this many heartbeat intervals is dead. */
export const missedHeartbeats = 2.5;

/**
 * Calls `onSilence` when `kick()` has not been called for `missedHeartbeats` × the heartbeat
 * interval: a connection can die without an error (a sleeping laptop, a proxy that drops it).
 */
export class Watchdog {
  #handle: unknown;
  #heartbeatMs: number;

  constructor(
    heartbeatMs: number,
    private readonly onSilence: () => void,
    private readonly timers: Timers = browserTimers,
  ) {
    this.#heartbeatMs = heartbeatMs;
  }

  /** The server's heartbeat interval, learnt from NotificationStreamReady; restarts the wait. */
  set heartbeatMs(ms: number) {
    this.#heartbeatMs = ms;
    if (this.#handle !== undefined) this.kick();
  }

  get timeoutMs(): number {
    return Math.round(this.#heartbeatMs * missedHeartbeats);
  }

  /** Something arrived: the stream is alive. Starts the watchdog if it was stopped. */
  kick() {
    this.stop();
    this.#handle = this.timers.setTimeout(() => {
      this.#handle = undefined;
      this.onSilence();
    }, this.timeoutMs);
  }

  stop() {
    if (this.#handle === undefined) return;
    this.timers.clearTimeout(this.#handle);
    this.#handle = undefined;
  }
}
