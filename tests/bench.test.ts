import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhaseResult } from '../bench/loadgen.ts';
import { markdownReport, type RunResult, type StepResult } from '../bench/report.ts';
import { type ServerUnderTest, startBaseline } from '../bench/servers.ts';
import { percentile, ratio, summarize } from '../bench/stats.ts';

// The benchmark's own pieces; the benchmark itself (`npm run bench`) is not a test and nothing
// here measures time.
describe('bench statistics', () => {
  it('takes percentiles by nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarizes latencies and divides only what can be divided', () => {
    expect(summarize([3, 1, 2])).toEqual({ count: 3, p50: 2, p99: 3, max: 3 });
    expect(summarize([]).count).toBe(0);
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(null, 2)).toBeNull();
  });
});

describe('the raw SSE baseline server', () => {
  // Started exactly as `npm run bench` starts it.
  let baseline: ServerUnderTest;
  let url: string;
  beforeAll(async () => {
    baseline = await startBaseline(2);
    url = baseline.url;
  });
  afterAll(async () => {
    await baseline?.stop();
  });

  /** Opens a stream for `user` and collects its SSE blocks. */
  function open(user: string) {
    const blocks: string[] = [];
    let buffer = '';
    const req = request(`${url}/events?user=${user}`, { agent: false });
    req.on('response', (response) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          blocks.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      });
    });
    req.end();
    return { blocks, close: () => req.destroy() };
  }

  it("writes each event to every stream of its user, with the user's sequence as id, and to no one else", async () => {
    const tabs = [open('ada'), open('ada')];
    const other = open('bob');
    await expect.poll(() => [...tabs, other].every((s) => s.blocks.length === 1)).toBe(true);
    for (const title of ['b1', 'b2']) {
      const answered = await fetch(`${url}/publish`, {
        method: 'POST',
        body: JSON.stringify({ userId: 'ada', title }),
      });
      expect(answered.status).toBe(200);
    }
    await expect.poll(() => tabs.every((s) => s.blocks.length === 3)).toBe(true);
    for (const tab of tabs) {
      expect(tab.blocks[0]).toContain('NotificationStreamReady');
      expect(tab.blocks[1]).toMatch(/^id: 1\nevent: next\ndata: .*"title":"b1"/);
      expect(tab.blocks[2]).toMatch(/^id: 2\nevent: next\ndata: .*"title":"b2"/);
    }
    expect(other.blocks).toHaveLength(1);
    for (const stream of [...tabs, other]) stream.close();
  });

  it("broadcasts one event to every user with a stream, each in that user's own sequence", async () => {
    const ada = open('cleo');
    const bob = open('dan');
    await expect.poll(() => [ada, bob].every((s) => s.blocks.length === 1)).toBe(true);
    await fetch(`${url}/publish`, { method: 'POST', body: JSON.stringify({ userId: 'cleo', title: 'b1' }) });
    const answered = await fetch(`${url}/broadcast`, { method: 'POST', body: JSON.stringify({ title: 'c7' }) });
    expect(await answered.json()).toMatchObject({ count: expect.any(Number) });
    await expect.poll(() => ada.blocks.length === 3 && bob.blocks.length === 2).toBe(true);
    expect(ada.blocks[2]).toMatch(/^id: 2\nevent: next\ndata: .*"title":"c7"/);
    expect(bob.blocks[1]).toMatch(/^id: 1\nevent: next\ndata: .*"title":"c7"/);
    ada.close();
    bob.close();
  });
});

describe('the bench report', () => {
  const latency = (p99: number) => ({ count: 10, p50: 1, p99, max: p99 });
  const phase = (p99: number): PhaseResult => ({
    type: 'phase',
    sent: 10,
    requestErrors: 0,
    seconds: 1,
    userEventsPerSecond: 10,
    deliveriesPerSecond: 20,
    latency: latency(p99),
    lost: 0,
    outOfOrder: 0,
    streamsDropped: 0,
    serverCpu: 0.5,
    serverCpuMicrosPerUserEvent: 100,
    generatorCpu: 0.2,
  });
  const step = (broadcastMs: number, userP99: number): StepResult => ({
    target: 'tidings',
    engine: 'sqlite',
    streams: 10_000,
    users: 5_000,
    openSeconds: 1,
    openServerCpuMsPerStream: 0.1,
    openErrors: 0,
    streamsOpen: 10_000,
    memory: { rssPerStreamKB: 5, heapPerStreamKB: 5, rssMB: 100 },
    steady: phase(5),
    steadyLoopDelayMs: { p99: 1, max: 2 },
    saturation: phase(5),
    broadcast: {
      type: 'broadcast',
      broadcasts: 5,
      broadcastErrors: 0,
      recipients: 5_000,
      delivery: latency(broadcastMs),
      answered: latency(100),
      lost: 0,
      userEvents: phase(userP99),
    },
  });
  const run = (steps: StepResult[]): RunResult => ({
    date: '2026-12-02T15:00:00.000Z',
    machine: { cpu: 'test', cores: 2, memoryGB: 1, node: 'v20', os: 'Linux', loadAverage: [0] },
    options: {
      rate: 200,
      seconds: 10,
      saturateSeconds: 8,
      callers: 32,
      engine: 'sqlite',
      broadcastSeconds: 10,
      broadcastEvery: 2,
    },
    durationSeconds: 1,
    steps,
    mutationPath: [],
  });

  it('judges the broadcast phase against its targets: the last stream within 1 s, user-event p99 within 250 ms', () => {
    const met = markdownReport(run([step(900, 200)]), 'chart.svg');
    expect(met).toMatch(
      /\| 10,000 \| Tidings \(sqlite\) \| 5,000 \| .* \| 1 \/ 900 ms \(met\) \| 1.0 \/ 200.0 \/ 200.0 ms \(met\) \| 0 \|/,
    );
    const missed = markdownReport(run([step(1200, 300)]), 'chart.svg');
    expect(missed).toContain('1 / 1,200 ms (**missed**)');
    expect(missed).toContain('1.0 / 300.0 / 300.0 ms (**missed**)');
    expect(markdownReport(run([{ ...step(1, 1), broadcast: undefined }]), 'chart.svg')).not.toContain(
      'broadcast phase',
    );
  });
});
