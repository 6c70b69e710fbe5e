import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { reconnectDelay, reconnectDelaysMs } from '../../web/src/notifications/backoff.ts';
import {
  NotificationStream,
  type StreamSink,
  type StreamTransport,
  UnauthenticatedError,
} from '../../web/src/notifications/stream.ts';
import { Watchdog } from '../../web/src/notifications/watchdog.ts';
import type { StreamEvent } from '../../web/src/urql/cache.ts';

const timers = {
  setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the reconnect schedule', () => {
  it('is 1, 2, 4, 8, 16 s, then 30 s for every further attempt', () => {
    const exact = () => 0.5; // no jitter
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((attempt) => reconnectDelay(attempt, exact))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('jitters each delay by at most 10 %', () => {
    expect(reconnectDelay(0, () => 0)).toBe(900);
    expect(reconnectDelay(0, () => 1)).toBe(1_100);
    expect(reconnectDelay(5, () => 0.999_999)).toBeLessThanOrEqual(33_000);
    expect(reconnectDelaysMs).toHaveLength(6);
  });
});

describe('the watchdog', () => {
  it('fires after 2.5 heartbeats of silence, and not while something keeps arriving', () => {
    const silence = vi.fn();
    const watchdog = new Watchdog(1_000, silence, timers);
    watchdog.kick();
    for (let i = 0; i < 10; i += 1) {
      vi.advanceTimersByTime(2_000);
      watchdog.kick();
    }
    expect(silence).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2_499);
    expect(silence).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(silence).toHaveBeenCalledTimes(1);
  });

  it('takes a new heartbeat interval from the server', () => {
    const silence = vi.fn();
    const watchdog = new Watchdog(30_000, silence, timers);
    watchdog.kick();
    watchdog.heartbeatMs = 100;
    vi.advanceTimersByTime(250);
    expect(silence).toHaveBeenCalledTimes(1);
  });
});

/** A transport whose connections the test opens, feeds and breaks by hand. */
function scriptedTransport() {
  const connections: { cursor: string | null; sink: StreamSink; closed: boolean }[] = [];
  const transport: StreamTransport = (cursor, sink) => {
    const connection = { cursor, sink, closed: false };
    connections.push(connection);
    return () => {
      connection.closed = true;
    };
  };
  const last = () => {
    const connection = connections.at(-1);
    if (!connection) throw new Error('no connection yet');
    return connection;
  };
  return { transport, connections, last };
}

const ready = (cursor: string, heartbeatMs = 1_000): StreamEvent =>
  ({ __typename: 'NotificationStreamReady', cursor, unreadCount: 0, replayed: 0, heartbeatMs }) as StreamEvent;
const created = (cursor: string): StreamEvent =>
  ({ __typename: 'NotificationCreated', cursor, unreadCount: 1, notification: { id: cursor } }) as StreamEvent;

function openStream(cursor = '') {
  const scripted = scriptedTransport();
  const events: StreamEvent[] = [];
  const stream = new NotificationStream({
    transport: scripted.transport,
    onEvent: (event) => events.push(event),
    cursor,
    timers,
    random: () => 0.5,
  });
  stream.reconnect();
  return { stream, events, ...scripted };
}

describe('NotificationStream', () => {
  it('is connected once the server says Ready', () => {
    const { stream, last } = openStream();
    expect(stream.state.status).toBe('connecting');
    last().sink.next(ready(''));
    expect(stream.state.status).toBe('connected');
  });

  it('retries after failures on the schedule, forever, and a connection resets it', () => {
    const { stream, connections, last } = openStream();
    const waits: number[] = [];
    for (let attempt = 0; attempt < 8; attempt += 1) {
      last().sink.error(new Error('network down'));
      expect(stream.state.status).toBe('error');
      const wait = (stream.state.retryAt ?? 0) - Date.now();
      waits.push(wait);
      vi.advanceTimersByTime(wait - 1);
      expect(connections).toHaveLength(attempt + 1);
      vi.advanceTimersByTime(1);
      expect(connections).toHaveLength(attempt + 2);
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);

    last().sink.next(ready(''));
    last().sink.error(new Error('dropped'));
    expect((stream.state.retryAt ?? 0) - Date.now()).toBe(1_000);
  });

  it('resumes after the last cursor it applied', () => {
    const { events, last } = openStream('4');
    expect(last().cursor).toBe('4');
    last().sink.next(ready('4'));
    last().sink.next(created('5'));
    last().sink.next(created('6'));
    last().sink.complete(); // a server shutting down completes its streams
    vi.advanceTimersByTime(1_000);
    expect(last().cursor).toBe('6');
    expect(events.map((event) => event.cursor)).toEqual(['4', '5', '6']);
  });

  it('declares a silent stream dead after 2.5 heartbeats, closes it and reconnects', () => {
    const { stream, connections, last } = openStream();
    last().sink.next(ready('', 1_000));
    vi.advanceTimersByTime(2_499);
    expect(stream.state.status).toBe('connected');
    vi.advanceTimersByTime(1);
    expect(connections[0]?.closed).toBe(true);
    expect(stream.state.status).toBe('error');
    vi.advanceTimersByTime(1_000);
    expect(connections).toHaveLength(2);
  });

  it('stops for good when the session ended, instead of retrying', () => {
    const { stream, connections, last } = openStream();
    last().sink.next(ready(''));
    last().sink.next({
      __typename: 'NotificationStreamEnded',
      cursor: '',
      unreadCount: 0,
      endReason: 'SESSION_REVOKED',
    } as StreamEvent);
    expect(stream.state).toMatchObject({ status: 'disconnected', ended: 'SESSION_REVOKED' });
    vi.advanceTimersByTime(120_000);
    expect(connections).toHaveLength(1);
  });

  it('does not retry a request the server refused as unauthenticated', () => {
    const { stream, connections, last } = openStream();
    last().sink.error(new UnauthenticatedError());
    expect(stream.state).toMatchObject({ status: 'disconnected', ended: 'UNAUTHENTICATED' });
    vi.advanceTimersByTime(120_000);
    expect(connections).toHaveLength(1);
  });

  it('reconnect() skips the wait and disconnect() stops retrying', () => {
    const { stream, connections, last } = openStream();
    last().sink.error(new Error('down'));
    stream.reconnect();
    expect(connections).toHaveLength(2);
    stream.disconnect();
    expect(connections[1]?.closed).toBe(true);
    expect(stream.state.status).toBe('disconnected');
    vi.advanceTimersByTime(120_000);
    expect(connections).toHaveLength(2);
  });

  it('ignores what a replaced connection still delivers', () => {
    const { events, connections, stream } = openStream();
    stream.reconnect();
    connections[0]?.sink.next(created('9'));
    expect(events).toEqual([]);
  });
});

describe('TabStream without Web Locks', () => {
  it('lets every tab stream for itself', async () => {
    vi.useRealTimers();
    const { TabStream } = await import('../../web/src/notifications/tabs.ts');
    const opened: string[] = [];
    const tab = (name: string) =>
      new TabStream({
        key: 'user-1',
        locks: null,
        onEvent: () => {},
        transport: () => {
          opened.push(name);
          return () => {};
        },
      });
    const [a, b] = [tab('a'), tab('b')];
    a.start();
    b.start();
    expect(opened).toEqual(['a', 'b']);
    expect(a.leading && b.leading).toBe(true);
    a.stop();
    b.stop();
  });
});

describe('TabStream back online', () => {
  it("reconnects at once on the browser's online event instead of waiting out the backoff", async () => {
    const { TabStream } = await import('../../web/src/notifications/tabs.ts');
    const scripted = scriptedTransport();
    const network = new EventTarget();
    const tab = new TabStream({
      key: 'user-2',
      locks: null,
      network,
      onEvent: () => {},
      transport: scripted.transport,
    });
    tab.start();
    scripted.last().sink.error(new Error('network down'));
    expect(tab.state.status).toBe('error');
    expect(scripted.connections).toHaveLength(1);

    network.dispatchEvent(new Event('online'));
    expect(scripted.connections).toHaveLength(2);
    scripted.last().sink.next(ready(''));
    network.dispatchEvent(new Event('online')); // connected: nothing to do
    expect(scripted.connections).toHaveLength(2);

    tab.stop();
    network.dispatchEvent(new Event('online'));
    expect(scripted.connections).toHaveLength(2);
  });
});
