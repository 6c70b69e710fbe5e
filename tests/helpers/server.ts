import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type App, buildApp } from '../../server/app.ts';
import { type Config, loadConfig } from '../../server/config.ts';
import type { Logger } from '../../server/log.ts';
import { createTestDatabase } from './database.ts';

export interface TestServer {
  app: App;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  config: Config;
  /** Every log line the server wrote, as parsed objects. */
  logs: { level: string; msg: string; [field: string]: unknown }[];
  /** Stops the server as a deploy would (streams complete); the database stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and database, as a new process would. */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

/** A real Tidings server on 127.0.0.1, port 0, with its own fresh database (the `tserver` of graphql-sse's tests). */
export async function startServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tidings-data-'));
  const config = loadConfig(
    { NODE_ENV: 'test' },
    {
      port: 0,
      host: '127.0.0.1',
      databaseUrl: database.url,
      dataDir,
      authSecret: 'a-test-secret-that-is-at-least-32-characters',
      logLevel: 'debug',
      heartbeatMs: 60_000,
      // The suite signs hundreds of users up from 127.0.0.1; tests of the sign-in limits turn them on.
      authRateLimit: false,
      // Only the browser tests serve the web client (they build it first).
      webDir: null,
      ...overrides,
    },
  );
  const logs: TestServer['logs'] = [];
  const record =
    (level: string) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      logs.push({ ...fields, level, msg });
    };
  const log: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  let app = await buildApp(config, log);
  const url = await app.start();
  let running = true;
  const port = Number(new URL(url).port);
  return {
    get app() {
      return app;
    },
    url,
    config,
    logs,
    async stop() {
      if (!running) return;
      running = false;
      await app.stop();
    },
    async start() {
      if (running) return;
      app = await buildApp({ ...config, port }, log);
      await app.start();
      running = true;
    },
    async dispose() {
      if (running) await app.stop();
      running = false;
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
