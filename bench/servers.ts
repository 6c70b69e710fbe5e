/**
 * The servers under test, each its own child process with the probe loaded: Tidings as an operator
 * runs it (`tidings serve`), on a fresh database seeded by the bench, and the raw SSE baseline.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { permissionsOf } from '../server/auth/scopes.ts';
import { freePort } from '../tests/helpers/processes.ts';
import type { BenchUser } from './loadgen.ts';
import type { LoopDelayReply, MemoryReply, ProbeRequest } from './probe.ts';

const root = path.join(import.meta.dirname, '..');
const probe = path.join(import.meta.dirname, 'probe.ts');
const secret = 'tidings-benchmark-secret-not-for-production-use';

export type Engine = 'sqlite' | 'postgresql';

export interface ServerUnderTest {
  url: string;
  pid: number;
  /** Users with credentials, and (Tidings) an API key that may notify any of them. */
  users: BenchUser[];
  apiKey?: string;
  memory(): Promise<MemoryReply>;
  profile(file: string | null): Promise<void>;
  heapSnapshot(file: string): Promise<void>;
  /** The server's event-loop delay since the last call (p99 and max, ms). */
  loopDelay(): Promise<LoopDelayReply>;
  stop(): Promise<void>;
}

export const postgresAdminUrl = 'postgresql://postgres@127.0.0.1:5432/postgres';
export const postgresBenchUrl = 'postgresql://postgres@127.0.0.1:5432/tidings_bench';
export const redisUrl = 'redis://127.0.0.1:6379';

/** Starts `tidings serve` on a fresh database and seeds `userCount` users with sessions, plus one API key. */
export async function startTidings(
  engine: Engine,
  userCount: number,
  log: (line: string) => void,
): Promise<ServerUnderTest> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tidings-bench-'));
  let databaseUrl = `file:${path.join(dataDir, 'bench.db')}`;
  if (engine === 'postgresql') {
    databaseUrl = postgresBenchUrl;
    const admin = new pg.Client({ connectionString: postgresAdminUrl });
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS tidings_bench WITH (FORCE)');
    await admin.query('CREATE DATABASE tidings_bench');
    await admin.end();
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      // Extra V8/Node flags for the server under test, for diagnosis (e.g. --trace-gc).
      ...(process.env.TIDINGS_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      '--import',
      'tsx',
      '--import',
      probe,
      path.join(root, 'server', 'bin', 'tidings.js'),
      'serve',
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        BETTER_AUTH_SECRET: secret,
        BETTER_AUTH_URL: url,
        TIDINGS_DATA_DIR: dataDir,
        // Stream open/close lines at `info` are one JSON line per stream: at 10,000 streams that
        // is the logger being measured. Warnings and errors still print.
        LOG_LEVEL: 'warn',
        // The bench sends far more than a real service would with one key.
        TIDINGS_API_KEY_RATE_LIMIT_PER_MINUTE: '10000000',
        ...(engine === 'postgresql' ? { REDIS_URL: redisUrl } : { REDIS_URL: '' }),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  await waitForHealth(url, child);
  const started = performance.now();
  const { users, apiKey } = await seed(databaseUrl, userCount, url);
  log(`seeded ${userCount} users with sessions in ${Math.round(performance.now() - started)} ms`);
  return {
    url,
    pid: child.pid as number,
    users,
    apiKey,
    memory: () => ask<MemoryReply>(child, { probe: 'memory' }),
    profile: (file) =>
      ask(child, file ? { probe: 'profile-stop', file } : { probe: 'profile-start' }).then(() => undefined),
    heapSnapshot: (file) => ask(child, { probe: 'heap-snapshot', file }).then(() => undefined),
    loopDelay: () => ask<LoopDelayReply>(child, { probe: 'loop-delay' }),
    async stop() {
      await stopChild(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts the raw SSE baseline (bench/baseline-server.ts). */
export async function startBaseline(userCount: number): Promise<ServerUnderTest> {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', '--import', probe, path.join(import.meta.dirname, 'baseline-server.ts')],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk;
      const match = /"listening":"([^"]+)"/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`baseline exited ${code}`)));
  });
  const users = Array.from({ length: userCount }, (_, i) => ({ id: `u${i}` }));
  return {
    url,
    pid: child.pid as number,
    users,
    memory: () => ask<MemoryReply>(child, { probe: 'memory' }),
    profile: (file) =>
      ask(child, file ? { probe: 'profile-stop', file } : { probe: 'profile-start' }).then(() => undefined),
    heapSnapshot: (file) => ask(child, { probe: 'heap-snapshot', file }).then(() => undefined),
    loopDelay: () => ask<LoopDelayReply>(child, { probe: 'loop-delay' }),
    stop: () => stopChild(child),
  };
}

/**
 * Users, each with a Better Auth session, written straight to the database: signing thousands up
 * through the API would spend minutes in scrypt. The cookie is what Better Auth itself sets: the
 * session token, a dot, and the token's HMAC-SHA256 under the server's secret (base64).
 */
async function seed(databaseUrl: string, userCount: number, url: string) {
  const { connectDatabase } = await import('../server/store/db.ts');
  const { createAuth } = await import('../server/auth/auth.ts');
  const { loadConfig } = await import('../server/config.ts');
  const database = await connectDatabase(databaseUrl);
  const db = database.prisma;
  try {
    const now = new Date();
    const expiresAt = new Date(now.getTime() + 7 * 24 * 3600 * 1000);
    const users: BenchUser[] = [];
    const batch = 1000;
    for (let from = 0; from < userCount; from += batch) {
      const ids = Array.from({ length: Math.min(batch, userCount - from) }, (_, i) => `bench-user-${from + i}`);
      const tokens = ids.map(() => randomBytes(24).toString('base64url'));
      await db.user.createMany({
        data: ids.map((id) => ({
          id,
          name: id,
          email: `${id}@bench.local`,
          emailVerified: true,
          createdAt: now,
          updatedAt: now,
        })),
      });
      await db.session.createMany({
        data: ids.map((id, i) => ({
          id: `s-${id}`,
          token: tokens[i] as string,
          userId: id,
          expiresAt,
          createdAt: now,
          updatedAt: now,
        })),
      });
      ids.forEach((id, i) => {
        const token = tokens[i] as string;
        const signature = createHmac('sha256', secret).update(token).digest('base64');
        users.push({ id, cookie: `better-auth.session_token=${encodeURIComponent(`${token}.${signature}`)}` });
      });
    }
    await db.user.create({
      data: {
        id: 'bench-service',
        name: 'bench service',
        email: 'bench-service@bench.local',
        createdAt: now,
        updatedAt: now,
      },
    });
    const auth = createAuth(loadConfig({}, { databaseUrl, authSecret: secret, publicUrl: url, dataDir: tmpdir() }), db);
    // An operator's key, as `tidings api-key create` makes it: it notifies the bench's users.
    const created = await auth.api.createApiKey({
      body: { name: 'bench', userId: 'bench-service', permissions: permissionsOf(['notify:any']) },
    });
    return { users, apiKey: created.key };
  } finally {
    await database.close();
  }
}

/** Sends the probe a question and waits for its answer. */
function ask<T>(child: ChildProcess, request: ProbeRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no probe answer to ${request.probe}`)), 60_000);
    const onMessage = (message: { probe?: string }) => {
      if (message.probe !== request.probe) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message as T);
    };
    child.on('message', onMessage);
    child.send(request);
  });
}

async function stopChild(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function waitForHealth(url: string, child: ChildProcess) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`tidings serve exited ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('tidings serve did not answer /healthz within 60 s');
}

/** Whether PostgreSQL and Redis answer at the addresses the bench uses. */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
  } catch {
    return false;
  }
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}
