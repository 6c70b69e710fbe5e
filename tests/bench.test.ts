import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
