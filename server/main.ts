import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger, errorFields } from './log.ts';

/** Starts the server from the environment and stops it cleanly on SIGTERM or SIGINT. */
export async function serve(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tidings: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  const app = await buildApp(config, log);
  try {
    await app.start();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    process.stderr.write(
      `tidings: port ${config.port} on ${config.host} is already in use. Stop what holds it, or set PORT to another port (for example PORT=${config.port + 1} npm start).\n`,
    );
    process.exit(1);
  }
  // One line for a person, beside the JSON lines for machines (on stderr, so stdout stays JSON).
  if (config.logLevel !== 'silent') process.stderr.write(`\nTidings is running: open ${openable(app.url)}\n\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    const forced = setTimeout(() => {
      log.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    forced.unref();
    try {
      await app.stop();
      process.exit(0);
    } catch (error) {
      log.error('shutdown failed', errorFields(error));
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** The URL a person opens: a wildcard address is reached as localhost. */
function openable(url: string): string {
  const parsed = new URL(url);
  if (['0.0.0.0', '[::]'].includes(parsed.hostname)) parsed.hostname = 'localhost';
  return parsed.origin;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  serve().catch((error: unknown) => {
    process.stderr.write(`tidings: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
