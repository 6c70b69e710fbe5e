/**
 * `npm run bench`: how many streams one Tidings process holds, how fast events reach them, and
 * how many it delivers before it falls behind, each step measured against the raw Node SSE
 * baseline in the same run. See docs/performance.md for what each figure means.
 *
 *   --streams 1000,5000,10000   open streams per step (two per user)
 *   --rate 200                  notifications per second in the steady phase
 *   --seconds 10                length of the steady phase
 *   --saturate-seconds 8        length of the closed-loop phase
 *   --callers 32                concurrent senders in the closed loop
 *   --broadcast-seconds 10      length of the broadcast phase: one event to every user every
 *                               2 s (--broadcast-every) while the steady rate flows; 0 skips it
 *   --postgres                  run the steps on PostgreSQL + Redis instead of SQLite
 *   --no-baseline               Tidings only
 *   --no-mutation-path          skip the mutation-path measurement on both engines
 *   --mutation-path-only        only the mutation-path measurement (no steps)
 *   --profile <dir>             CPU profiles of each Tidings step (opening, steady + saturation, broadcast)
 *                               and of each engine's mutation-path closed loop
 *   --heap-snapshots <dir>      heap snapshots of each server before and after opening its streams
 *   --out <dir>                 where results go (default bench/results)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BroadcastResult, Command, OpenResult, PhaseResult, Progress, Reply, TargetKind } from './loadgen.ts';
import { chartSvg, markdownReport, type RunResult, type StepResult } from './report.ts';
import { type Engine, postgresAvailable, type ServerUnderTest, startBaseline, startTidings } from './servers.ts';

interface Options {
  streams: number[];
  rate: number;
  seconds: number;
  saturateSeconds: number;
  callers: number;
  broadcastSeconds: number;
  broadcastEvery: number;
  engine: Engine;
  baseline: boolean;
  mutationPath: boolean;
  profileDir: string | null;
  heapDir: string | null;
  outDir: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    streams: [1000, 5000, 10000],
    rate: 200,
    seconds: 10,
    saturateSeconds: 8,
    callers: 32,
    broadcastSeconds: 10,
    broadcastEvery: 2,
    engine: 'sqlite',
    baseline: true,
    mutationPath: true,
    profileDir: null,
    heapDir: null,
    outDir: path.join(import.meta.dirname, 'results'),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    const positive = (raw: string) => {
      const n = Number(raw);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${arg}: not a positive number: ${raw}`);
      return n;
    };
    const nonNegative = (raw: string) => (Number(raw) === 0 ? 0 : positive(raw));
    if (arg === '--streams')
      options.streams = value()
        .split(',')
        .map((s) => 2 * Math.round(positive(s) / 2));
    else if (arg === '--rate') options.rate = positive(value());
    else if (arg === '--seconds') options.seconds = positive(value());
    else if (arg === '--saturate-seconds') options.saturateSeconds = positive(value());
    else if (arg === '--callers') options.callers = Math.round(positive(value()));
    else if (arg === '--broadcast-seconds') options.broadcastSeconds = nonNegative(value());
    else if (arg === '--broadcast-every') options.broadcastEvery = positive(value());
    else if (arg === '--postgres') options.engine = 'postgresql';
    else if (arg === '--no-baseline') options.baseline = false;
    else if (arg === '--no-mutation-path') options.mutationPath = false;
    else if (arg === '--mutation-path-only') options.streams = [];
    else if (arg === '--profile') options.profileDir = path.resolve(value());
    else if (arg === '--heap-snapshots') options.heapDir = path.resolve(value());
    else if (arg === '--out') options.outDir = path.resolve(value());
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

/** The load generator process and a typed request/answer over its IPC channel. */
function startGenerator(onProgress: (progress: Progress) => void) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'loadgen.ts')],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  let waiting: ((reply: Reply) => void) | undefined;
  child.on('message', (message: Reply | Progress) => {
    if (message.type === 'progress') onProgress(message);
    else waiting?.(message);
  });
  return {
    pid: child.pid as number,
    request<T extends Reply>(command: Command): Promise<T> {
      return new Promise((resolve, reject) => {
        waiting = (reply) => {
          waiting = undefined;
          if (reply.type === 'error') reject(new Error(`load generator: ${reply.message}`));
          else resolve(reply as T);
        };
        child.send(command);
      });
    },
    stop: () => child.kill(),
  };
}

/** One line that rewrites itself on a terminal, and a line every few seconds in a log. */
function progressLine() {
  let label = '';
  let last = '';
  let printedAt = 0;
  const tty = process.stderr.isTTY;
  const show = (text: string) => {
    last = text;
    if (tty) process.stderr.write(`\r\x1b[K${text}`);
    else if (Date.now() - printedAt > 5_000) {
      printedAt = Date.now();
      process.stderr.write(`${text}\n`);
    }
  };
  return {
    phase(name: string) {
      label = name;
      show(`${label}`);
    },
    progress(p: Progress) {
      show(
        `${label} · streams open ${p.open.toLocaleString('en')} · events delivered ${p.delivered.toLocaleString('en')}`,
      );
    },
    log(text: string) {
      if (tty) process.stderr.write(`\r\x1b[K${text}\n${last}`);
      else process.stderr.write(`${text}\n`);
    },
    done() {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const began = Date.now();
  const loadAverage = os.loadavg().map((l) => Math.round(l * 100) / 100);
  const line = progressLine();
  const generator = startGenerator((p) => line.progress(p));
  const steps: StepResult[] = [];
  const targets: TargetKind[] = options.baseline ? ['baseline', 'tidings'] : ['tidings'];
  const postgres = await postgresAvailable();
  if (options.engine === 'postgresql' && !postgres) throw new Error('--postgres: PostgreSQL or Redis does not answer');

  try {
    for (const n of options.streams) {
      for (const target of targets) {
        const label = `[${n.toLocaleString('en')} streams · ${target === 'tidings' ? `tidings (${options.engine})` : 'baseline'}]`;
        line.phase(`${label} starting`);
        const server =
          target === 'tidings'
            ? await startTidings(options.engine, n / 2, (text) => line.log(`${label} ${text}`))
            : await startBaseline(n / 2);
        try {
          const step = await runStep(target, n, server, options, generator, (phase) => line.phase(`${label} ${phase}`));
          steps.push(step);
          line.log(`${label} ${summaryOf(step)}`);
        } finally {
          await generator.request({ type: 'close' });
          await server.stop();
        }
      }
    }

    const mutationPath: RunResult['mutationPath'] = [];
    if (options.mutationPath) {
      const engines: Engine[] = postgres ? ['sqlite', 'postgresql'] : ['sqlite'];
      if (!postgres) line.log('PostgreSQL or Redis does not answer: the mutation path is measured on SQLite only');
      for (const engine of engines) {
        const label = `[mutation path · ${engine}]`;
        line.phase(`${label} starting`);
        const server = await startTidings(engine, 500, (text) => line.log(`${label} ${text}`));
        try {
          await generator.request({
            type: 'setup',
            target: 'tidings',
            url: server.url,
            apiKey: server.apiKey,
            serverPid: server.pid,
            users: server.users,
          });
          line.phase(`${label} opening`);
          await generator.request<OpenResult>({ type: 'open', streamsPerUser: 2, concurrency: 100 });
          line.phase(`${label} warm-up`);
          await generator.request<PhaseResult>({ type: 'saturate', callers: options.callers, seconds: 2 });
          line.phase(`${label} closed loop, ${options.callers} callers`);
          if (options.profileDir) await server.profile(null);
          const result = await generator.request<PhaseResult>({
            type: 'saturate',
            callers: options.callers,
            seconds: options.saturateSeconds,
          });
          if (options.profileDir) {
            mkdirSync(options.profileDir, { recursive: true });
            await server.profile(path.join(options.profileDir, `tidings-mutation-path-${engine}.cpuprofile`));
          }
          mutationPath.push({ engine, streams: 1000, callers: options.callers, result });
          line.log(
            `${label} ${(result.sent / result.seconds) | 0} mutations/s, p99 ${result.latency.p99} ms to both streams, lost ${result.lost}`,
          );
        } finally {
          await generator.request({ type: 'close' });
          await server.stop();
        }
      }
    }

    line.done();
    const run: RunResult = {
      date: new Date().toISOString(),
      machine: { ...machine(), loadAverage },
      options: {
        rate: options.rate,
        seconds: options.seconds,
        saturateSeconds: options.saturateSeconds,
        callers: options.callers,
        engine: options.engine,
        broadcastSeconds: options.broadcastSeconds,
        broadcastEvery: options.broadcastEvery,
      },
      durationSeconds: Math.round((Date.now() - began) / 1000),
      steps,
      mutationPath,
    };
    mkdirSync(options.outDir, { recursive: true });
    // The date and the time (UTC): several runs a day keep their own files.
    const stem = path.join(options.outDir, run.date.slice(0, 16).replace(':', ''));
    const markdown = markdownReport(run, `${path.basename(stem)}.svg`);
    writeFileSync(`${stem}.json`, `${JSON.stringify(run, null, 2)}\n`);
    writeFileSync(`${stem}.md`, markdown);
    writeFileSync(`${stem}.svg`, chartSvg(run));
    process.stdout.write(`${markdown}\nWritten: ${stem}.json, .md and .svg (${run.durationSeconds} s)\n`);
  } finally {
    generator.stop();
  }
}

async function runStep(
  target: TargetKind,
  n: number,
  server: ServerUnderTest,
  options: Options,
  generator: ReturnType<typeof startGenerator>,
  phase: (name: string) => void,
): Promise<StepResult> {
  await generator.request({
    type: 'setup',
    target,
    url: server.url,
    apiKey: server.apiKey,
    serverPid: server.pid,
    users: server.users,
  });
  const before = await server.memory();
  const snapshot = async (when: string) => {
    if (!options.heapDir) return;
    mkdirSync(options.heapDir, { recursive: true });
    await server.heapSnapshot(path.join(options.heapDir, `${target}-${n}-${when}.heapsnapshot`));
  };
  await snapshot('before');
  const profiling = target === 'tidings' && options.profileDir !== null;
  if (profiling) await server.profile(null);
  phase('opening streams');
  const opened = await generator.request<OpenResult>({ type: 'open', streamsPerUser: 2, concurrency: 100 });
  if (profiling && options.profileDir) {
    mkdirSync(options.profileDir, { recursive: true });
    await server.profile(path.join(options.profileDir, `tidings-${options.engine}-${n}-open.cpuprofile`));
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const after = await server.memory();
  await snapshot('after');
  if (profiling) await server.profile(null);
  phase(`steady ${options.rate}/s`);
  await server.loopDelay();
  const steady = await generator.request<PhaseResult>({ type: 'steady', rate: options.rate, seconds: options.seconds });
  const steadyLoopDelay = await server.loopDelay();
  phase(`closed loop, ${options.callers} callers`);
  const saturation = await generator.request<PhaseResult>({
    type: 'saturate',
    callers: options.callers,
    seconds: options.saturateSeconds,
  });
  if (profiling && options.profileDir) {
    await server.profile(path.join(options.profileDir, `tidings-${options.engine}-${n}-events.cpuprofile`));
  }
  let broadcast: BroadcastResult | undefined;
  if (options.broadcastSeconds > 0) {
    phase(`broadcast to every user every ${options.broadcastEvery} s, ${options.rate}/s user events`);
    if (profiling) await server.profile(null);
    broadcast = await generator.request<BroadcastResult>({
      type: 'broadcast',
      rate: options.rate,
      seconds: options.broadcastSeconds,
      everySeconds: options.broadcastEvery,
    });
    if (profiling && options.profileDir) {
      await server.profile(path.join(options.profileDir, `tidings-${options.engine}-${n}-broadcast.cpuprofile`));
    }
  }
  return {
    target,
    engine: target === 'tidings' ? options.engine : null,
    streams: n,
    users: n / 2,
    openSeconds: opened.ms / 1000,
    openServerCpuMsPerStream: opened.serverCpuMsPerStream,
    openErrors: opened.errors,
    streamsOpen: opened.open,
    memory: {
      rssPerStreamKB: Math.round((after.rss - before.rss) / n / 102.4) / 10,
      heapPerStreamKB: Math.round((after.heapUsed - before.heapUsed) / n / 102.4) / 10,
      rssMB: Math.round(after.rss / 1024 / 1024),
    },
    steady,
    steadyLoopDelayMs: { p99: steadyLoopDelay.p99, max: steadyLoopDelay.max },
    saturation,
    ...(broadcast ? { broadcast } : {}),
  };
}

function summaryOf(step: StepResult) {
  return [
    `open ${step.streamsOpen}/${step.streams} in ${step.openSeconds} s (${step.openServerCpuMsPerStream} ms server CPU each)`,
    `${step.memory.rssPerStreamKB} KB RSS/stream`,
    `steady p99 ${step.steady.latency.p99} ms (server loop delay max ${step.steadyLoopDelayMs.max} ms)`,
    `saturation ${step.saturation.userEventsPerSecond} user events/s (server CPU ${Math.round(step.saturation.serverCpu * 100)} %, generator ${Math.round(step.saturation.generatorCpu * 100)} %)`,
    `lost ${step.steady.lost + step.saturation.lost}`,
    ...(step.broadcast
      ? [
          `broadcasts to the last stream in ${step.broadcast.delivery.p50} / ${step.broadcast.delivery.max} ms (p50 / max), user events p99 ${step.broadcast.userEvents.latency.p99} ms meanwhile, lost ${step.broadcast.lost + step.broadcast.userEvents.lost}`,
        ]
      : []),
  ].join(' · ');
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`\nbench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
