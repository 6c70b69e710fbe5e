// Builds the web client into web/dist. `npm start` runs it with --if-stale: it builds only when
// web/dist is missing or was built from other sources, so a fresh clone just works.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const webRoot = import.meta.dirname;
const outDir = path.join(webRoot, 'dist');
const stampFile = path.join(outDir, '.source-hash');

/** A hash of everything the build reads: sources, the page, Vite's config and plugins, public files, the locked dependencies. */
export function sourceHash(): string {
  const hash = createHash('sha256');
  const inputs = [
    path.join(webRoot, 'index.html'),
    path.join(webRoot, 'vite.config.ts'),
    path.join(webRoot, 'service-worker-build.ts'),
    path.join(webRoot, '..', 'package-lock.json'),
    ...['src', 'public'].flatMap((folder) =>
      existsSync(path.join(webRoot, folder))
        ? readdirSync(path.join(webRoot, folder), { recursive: true, withFileTypes: true })
            .filter((entry) => entry.isFile())
            .map((entry) => path.join(entry.parentPath, entry.name))
        : [],
    ),
  ].sort();
  for (const file of inputs) {
    if (!existsSync(file)) continue;
    hash.update(path.relative(webRoot, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** Whether web/dist was built from the sources as they are now. */
export function isFresh(): boolean {
  return (
    existsSync(path.join(outDir, 'index.html')) &&
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8') === sourceHash()
  );
}

/** Runs Vite's production build (into web/dist unless told) and records what it was built from. */
export async function buildWebClient(
  log: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  into: string = outDir,
) {
  const started = Date.now();
  log(`Building the web client (web/ → ${path.relative(process.cwd(), into) || '.'})…`);
  const { build } = await import('vite');
  // Always the production client: under vitest (NODE_ENV=test) Vite would otherwise bundle React's
  // development build (1.6 times the size, with a warning), which is not what users get.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: path.join(webRoot, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: into, emptyOutDir: true },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  writeFileSync(path.join(into, '.source-hash'), sourceHash());
  log(`Built the web client in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && isFresh()) process.exit(0);
  buildWebClient().catch((error: unknown) => {
    process.stderr.write(
      `tidings: the web client did not build: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
