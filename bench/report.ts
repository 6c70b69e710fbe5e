/** The bench's results as a markdown table and an SVG chart (drawn by hand: no chart library). */
import type { BroadcastResult, PhaseResult, TargetKind } from './loadgen.ts';
import { ratio } from './stats.ts';

export interface StepResult {
  target: TargetKind;
  engine: string | null;
  streams: number;
  users: number;
  openSeconds: number;
  openServerCpuMsPerStream: number;
  openErrors: number;
  streamsOpen: number;
  memory: { rssPerStreamKB: number; heapPerStreamKB: number; rssMB: number };
  steady: PhaseResult;
  /** The server's event-loop delay during the steady phase: its longest stall. */
  steadyLoopDelayMs: { p99: number; max: number };
  saturation: PhaseResult;
  /** The broadcast phase (absent in runs before it existed, or with --broadcast-seconds 0). */
  broadcast?: BroadcastResult;
}

export interface RunResult {
  date: string;
  machine: { cpu: string; cores: number; memoryGB: number; node: string; os: string; loadAverage: number[] };
  options: {
    rate: number;
    seconds: number;
    saturateSeconds: number;
    callers: number;
    engine: string;
    broadcastSeconds?: number;
    broadcastEvery?: number;
  };
  durationSeconds: number;
  steps: StepResult[];
  mutationPath: { engine: string; streams: number; callers: number; result: PhaseResult }[];
}

/** The targets of issue #5, as ratios to the baseline measured in the same run. */
export const targets = { memory: 1.5, p99: 2, saturation: 0.5 };

/** The broadcast phase's targets (the reach issue): absolute, in ms. */
export const broadcastTargets = { deliveredWithinMs: 1000, userEventP99Ms: 250 };

const fmt = (value: number | null | undefined, digits = 0) =>
  value == null || !Number.isFinite(value)
    ? '–'
    : value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function pair(run: RunResult, streams: number) {
  return {
    tidings: run.steps.find((s) => s.streams === streams && s.target === 'tidings'),
    baseline: run.steps.find((s) => s.streams === streams && s.target === 'baseline'),
  };
}

export function markdownReport(run: RunResult, chartFile: string): string {
  const { rate, callers } = run.options;
  const lines: string[] = [];
  lines.push(
    `Run ${run.date.slice(0, 16).replace('T', ' ')} UTC on ${run.machine.cpu}, ${run.machine.cores} cores, ${run.machine.memoryGB} GB, Node ${run.machine.node} (load average at start ${run.machine.loadAverage.join(', ')}); ${run.durationSeconds} s in all. Tidings on ${run.options.engine}.`,
    '',
    `| streams | server | open all | RSS / stream | heap / stream | latency p50 / p99 / max at ${rate}/s | user events/s, closed loop (${callers} callers) | server CPU / user event | CPU server / generator | lost |`,
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const step of run.steps) {
    const name = step.target === 'tidings' ? `Tidings (${step.engine})` : 'raw Node SSE';
    const l = step.steady.latency;
    const s = step.saturation;
    lines.push(
      `| ${fmt(step.streams)} | ${name} | ${fmt(step.openSeconds, 1)} s${step.openErrors ? ` (${step.openErrors} failed)` : ''} | ${fmt(step.memory.rssPerStreamKB, 1)} KB | ${fmt(step.memory.heapPerStreamKB, 1)} KB | ${fmt(l.p50, 1)} / ${fmt(l.p99, 1)} / ${fmt(l.max, 1)} ms | ${fmt(s.userEventsPerSecond)} | ${fmt(s.serverCpuMicrosPerUserEvent)} µs | ${fmt(s.serverCpu * 100)} % / ${fmt(s.generatorCpu * 100)} % | ${fmt(step.steady.lost + step.saturation.lost + step.steady.outOfOrder + step.saturation.outOfOrder)} |`,
    );
  }
  const sizes = [...new Set(run.steps.map((s) => s.streams))];
  if (run.steps.some((s) => s.target === 'baseline')) {
    lines.push(
      '',
      `Tidings against the baseline of the same run (targets: memory ≤ ${targets.memory}×, p99 ≤ ${targets.p99}×, saturation ≥ ${targets.saturation}×):`,
      '',
      '| streams | memory / stream: RSS, heap | p99 latency | user events/s at saturation | bottleneck at saturation |',
      '| ---: | ---: | ---: | ---: | --- |',
    );
    for (const n of sizes) {
      const { tidings, baseline } = pair(run, n);
      if (!tidings || !baseline) continue;
      // RSS moves in large steps and keeps what the allocator does not return, so at small N it can
      // even shrink; the heap after a full GC is steadier. The target counts as met only if both are.
      const rss = ratio(tidings.memory.rssPerStreamKB, baseline.memory.rssPerStreamKB);
      const heap = ratio(tidings.memory.heapPerStreamKB, baseline.memory.heapPerStreamKB);
      const memoryMet = rss !== null && heap !== null && Math.max(rss, heap) <= targets.memory;
      const p99 = ratio(tidings.steady.latency.p99, baseline.steady.latency.p99);
      const saturation = ratio(tidings.saturation.userEventsPerSecond, baseline.saturation.userEventsPerSecond);
      lines.push(
        `| ${fmt(n)} | ${fmt(rss, 2)}×, ${fmt(heap, 2)}× ${memoryMet ? '(met)' : '(**missed**)'} | ${verdict(p99, p99 !== null && p99 <= targets.p99)} | ${verdict(saturation, saturation !== null && saturation >= targets.saturation)} | ${bottleneck(tidings.saturation)} (Tidings), ${bottleneck(baseline.saturation)} (baseline) |`,
      );
    }
  }
  const broadcasts = run.steps.filter((step) => step.broadcast);
  if (broadcasts.length) {
    lines.push(
      '',
      `The broadcast phase: one event to every user every ${run.options.broadcastEvery ?? 2} s (Tidings: \`createNotifications(allUsers: true)\` with an API key) for ${run.options.broadcastSeconds ?? 10} s, while user events flow at ${rate}/s; a broadcast is timed from just before its request to its arrival at the last open stream (targets: the last stream within ${broadcastTargets.deliveredWithinMs / 1000} s, user-event p99 ≤ ${broadcastTargets.userEventP99Ms} ms):`,
      '',
      '| streams | server | users per broadcast | broadcast answered p50 / max | broadcast at the last stream p50 / max | user events p50 / p99 / max meanwhile | lost or failed |',
      '| ---: | --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const step of broadcasts) {
      const b = step.broadcast as BroadcastResult;
      const u = b.userEvents.latency;
      const name = step.target === 'tidings' ? `Tidings (${step.engine})` : 'raw Node SSE';
      const judged = step.target === 'tidings';
      const delivered = `${fmt(b.delivery.p50, 0)} / ${fmt(b.delivery.max, 0)} ms${judged ? (b.delivery.count > 0 && b.delivery.max <= broadcastTargets.deliveredWithinMs ? ' (met)' : ' (**missed**)') : ''}`;
      const userP99 = `${fmt(u.p50, 1)} / ${fmt(u.p99, 1)} / ${fmt(u.max, 1)} ms${judged ? (u.p99 <= broadcastTargets.userEventP99Ms ? ' (met)' : ' (**missed**)') : ''}`;
      lines.push(
        `| ${fmt(step.streams)} | ${name} | ${fmt(b.recipients)} | ${fmt(b.answered.p50, 0)} / ${fmt(b.answered.max, 0)} ms | ${delivered} | ${userP99} | ${fmt(b.lost + b.broadcastErrors + b.userEvents.lost + b.userEvents.outOfOrder)} |`,
      );
    }
  }
  if (run.mutationPath.length) {
    lines.push(
      '',
      `The mutation path alone: \`createNotification\` with an API key, ${run.mutationPath[0]?.callers} concurrent callers, 1,000 open streams (500 users); latency from the request's start to the event's arrival at both of the recipient's streams (target ≥ 1,000/s):`,
      '',
      '| engine | mutations/s | p50 | p99 | max | server CPU / mutation | CPU server / generator | lost |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const { engine, result: r } of run.mutationPath) {
      const perSecond = r.sent / r.seconds;
      lines.push(
        `| ${engine === 'postgresql' ? 'PostgreSQL + Redis' : 'SQLite'} | ${verdict(perSecond, perSecond >= 1000, 0, '')} | ${fmt(r.latency.p50, 1)} ms | ${fmt(r.latency.p99, 1)} ms | ${fmt(r.latency.max, 1)} ms | ${fmt(r.serverCpuMicrosPerUserEvent)} µs | ${fmt(r.serverCpu * 100)} % / ${fmt(r.generatorCpu * 100)} % | ${fmt(r.lost + r.outOfOrder)} |`,
      );
    }
  }
  lines.push('', `![latency and memory per stream against open streams](${chartFile})`, '');
  return `${lines.join('\n')}\n`;
}

function verdict(value: number | null, met: boolean, digits = 2, unit = '×') {
  if (value === null) return '–';
  return `${fmt(value, digits)}${unit} ${met ? '(met)' : '(**missed**)'}`;
}

/** Which process ran out of CPU first: the server (one thread) or the load generator. */
function bottleneck(phase: PhaseResult) {
  if (phase.serverCpu >= 0.9 && phase.serverCpu >= phase.generatorCpu) return 'server CPU';
  if (phase.generatorCpu >= 0.9) return 'generator CPU';
  return phase.serverCpu >= phase.generatorCpu
    ? 'server (neither at a full core)'
    : 'generator (neither at a full core)';
}

/** Two panels: p99 latency at the steady rate, and RSS per stream, against open streams. */
export function chartSvg(run: RunResult): string {
  const width = 800;
  const height = 320;
  const series = (target: TargetKind) =>
    run.steps.filter((s) => s.target === target).sort((a, b) => a.streams - b.streams);
  const panels: { title: string; value: (s: StepResult) => number; dashed?: (s: StepResult) => number }[] = [
    { title: `p99 latency at ${run.options.rate} events/s (ms)`, value: (s) => s.steady.latency.p99 },
    {
      title: 'memory per stream, KB (RSS solid, heap dashed)',
      value: (s) => s.memory.rssPerStreamKB,
      dashed: (s) => s.memory.heapPerStreamKB,
    },
  ];
  const colors: Record<TargetKind, string> = { tidings: '#c2410c', baseline: '#2563eb' };
  const names: Record<TargetKind, string> = { tidings: 'Tidings', baseline: 'raw Node SSE' };
  const ns = [...new Set(run.steps.map((s) => s.streams))].sort((a, b) => a - b);
  const maxN = Math.max(...ns, 1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
  ];
  panels.forEach((panel, index) => {
    const left = 60 + index * 375;
    const top = 40;
    const w = 290;
    const h = 210;
    const values = [...run.steps.map(panel.value), ...(panel.dashed ? run.steps.map(panel.dashed) : [])].filter(
      Number.isFinite,
    );
    const maxY = niceCeiling(Math.max(...values, 1));
    const x = (n: number) => left + (n / maxN) * w;
    const y = (v: number) => top + h - (Math.max(0, v) / maxY) * h;
    out.push(`<text x="${left}" y="${top - 16}" font-weight="600">${panel.title}</text>`);
    for (let i = 0; i <= 4; i++) {
      const v = (maxY / 4) * i;
      out.push(
        `<line x1="${left}" x2="${left + w}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/>`,
        `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${trim(v)}</text>`,
      );
    }
    for (const n of ns) {
      out.push(`<text x="${x(n)}" y="${top + h + 16}" text-anchor="middle" fill="#555">${fmt(n)}</text>`);
    }
    out.push(`<text x="${left + w / 2}" y="${top + h + 34}" text-anchor="middle" fill="#555">open streams</text>`);
    for (const target of ['baseline', 'tidings'] as const) {
      const lines = [{ value: panel.value, dash: '' }];
      if (panel.dashed) lines.push({ value: panel.dashed, dash: ' stroke-dasharray="5 4"' });
      for (const line of lines) {
        const points = series(target).map((s) => [x(s.streams), y(line.value(s))] as const);
        if (points.length === 0) continue;
        const path = points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
        out.push(
          `<polyline fill="none" stroke="${colors[target]}" stroke-width="2"${line.dash} points="${path}"/>`,
          ...points.map(
            ([px, py]) => `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3.5" fill="${colors[target]}"/>`,
          ),
        );
      }
    }
  });
  (['tidings', 'baseline'] as const).forEach((target, i) => {
    const lx = 60 + i * 160;
    out.push(
      `<rect x="${lx}" y="${height - 22}" width="14" height="4" fill="${colors[target]}"/>`,
      `<text x="${lx + 20}" y="${height - 16}">${names[target]}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function niceCeiling(value: number) {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function trim(value: number) {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
