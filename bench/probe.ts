/**
 * Loaded into each server under test (`node --expose-gc --import ./bench/probe.ts …`): answers the
 * orchestrator's IPC questions from inside the server process. Memory is read after a full
 * collection, so deltas count what the streams hold, not garbage waiting to be collected; CPU
 * profiles cover only the phases asked for, not start-up.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';

export type ProbeRequest =
  | { probe: 'memory' }
  | { probe: 'profile-start' }
  | { probe: 'profile-stop'; file: string }
  | { probe: 'heap-snapshot'; file: string }
  | { probe: 'loop-delay' };
/** The event loop's delay since the last question, in ms: how long the server stalled at worst. */
export interface LoopDelayReply {
  probe: 'loop-delay';
  p99: number;
  max: number;
}
export interface MemoryReply {
  probe: 'memory';
  rss: number;
  heapUsed: number;
  external: number;
}

let session: Session | undefined;
const loopDelay = monitorEventLoopDelay({ resolution: 5 });

function post<T>(method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    session?.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

if (process.send) {
  process.on('message', async (message: ProbeRequest) => {
    if (message.probe === 'memory') {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      const { rss, heapUsed, external } = process.memoryUsage();
      process.send?.({ probe: 'memory', rss, heapUsed, external } satisfies MemoryReply);
    } else if (message.probe === 'loop-delay') {
      const reply: LoopDelayReply = {
        probe: 'loop-delay',
        p99: Math.round(loopDelay.percentile(99) / 1e5) / 10,
        max: Math.round(loopDelay.max / 1e5) / 10,
      };
      loopDelay.reset();
      process.send?.(reply);
    } else if (message.probe === 'heap-snapshot') {
      writeHeapSnapshot(message.file);
      process.send?.({ probe: 'heap-snapshot' });
    } else if (message.probe === 'profile-start') {
      session = new Session();
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 200 });
      await post('Profiler.start');
      process.send?.({ probe: 'profile-start' });
    } else if (message.probe === 'profile-stop') {
      const { profile } = await post<{ profile: unknown }>('Profiler.stop');
      writeFileSync(message.file, JSON.stringify(profile));
      session?.disconnect();
      session = undefined;
      process.send?.({ probe: 'profile-stop' });
    }
  });
  loopDelay.enable();
  // The IPC channel must not keep a server alive that is done.
  process.channel?.unref();
}
