/** A tick about this often, each running one slot's items: no event waits long behind a tick's work. */
const tickMs = 20;

/**
 * Runs a callback for each of its items once per interval, on one timer for all of them, spread
 * over the interval: each tick (about every 20 ms) runs one slot of items. Open streams' pings and
 * heartbeats use it. At 10,000 streams that is 10,000 fewer timers to schedule, and the work
 * (a write, or a GraphQL result, per stream) never arrives as one burst: beating all streams at
 * once stalled every event behind it for the better part of a second.
 *
 * The timer runs only while there are items, and never keeps the process alive on its own.
 * `run` returns false for an item that is gone, which then leaves.
 */
export class SlotScheduler<T> {
  readonly #slots: Set<T>[];
  readonly #slotOf = new Map<T, Set<T>>();
  #tick = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly everyMs: number,
    private readonly run: (item: T) => boolean,
  ) {
    this.#slots = Array.from({ length: Math.max(1, Math.round(everyMs / tickMs)) }, () => new Set());
  }

  add(item: T) {
    // The slot run last: a new item's first run comes one interval after it was added, not at
    // some moment right after it (after the bytes that opened a stream, say).
    const slot = this.#slots[(this.#tick + this.#slots.length - 1) % this.#slots.length] as Set<T>;
    slot.add(item);
    this.#slotOf.set(item, slot);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#runSlot(), this.everyMs / this.#slots.length);
      this.#timer.unref();
    }
  }

  delete(item: T) {
    const slot = this.#slotOf.get(item);
    if (!slot) return;
    slot.delete(item);
    this.#slotOf.delete(item);
    if (this.#slotOf.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Items scheduled now: for tests that check nothing is left behind. */
  get size() {
    return this.#slotOf.size;
  }

  /** Whether the timer is running (it does exactly while there are items). */
  get ticking() {
    return this.#timer !== undefined;
  }

  #runSlot() {
    for (const item of this.#slots[this.#tick++ % this.#slots.length] ?? []) {
      if (!this.run(item)) this.delete(item);
    }
  }
}
