import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SlotScheduler } from '../server/realtime/scheduler.ts';

// The one timer that pings (and heartbeats) every open stream, on vitest's fake clock: which
// stream is pinged when is a matter of ticks, not of this machine's speed.

describe('the slot scheduler of pings and heartbeats', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pings each stream once per interval, the first time one interval after it was added', () => {
    const pinged: string[] = [];
    const pinger = new SlotScheduler<string>(1_000, (stream) => {
      pinged.push(stream);
      return true;
    });
    pinger.add('a');
    vi.advanceTimersByTime(500);
    pinger.add('b');
    vi.advanceTimersByTime(480);
    expect(pinged).toEqual([]);
    vi.advanceTimersByTime(40); // 1,020 ms: a's first interval is over, b's is not
    expect(pinged).toEqual(['a']);
    vi.advanceTimersByTime(500); // 1,520 ms
    expect(pinged).toEqual(['a', 'b']);
    vi.advanceTimersByTime(1_000); // 2,520 ms: one more round, in the same order
    expect(pinged).toEqual(['a', 'b', 'a', 'b']);
    pinger.delete('a');
    pinger.delete('b');
  });

  it('drops a stream whose ping says it is gone, and stops its timer when none is left', () => {
    let alive = true;
    const pinger = new SlotScheduler<string>(1_000, () => alive);
    pinger.add('a');
    expect(vi.getTimerCount()).toBe(1);
    alive = false;
    vi.advanceTimersByTime(1_020);
    expect(pinger.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
