// A Vite plugin that builds the service worker (web/src/service-worker/sw.ts) into /sw.js beside
// the app, with the list of what it precaches: index.html, every file of this build (hashed
// assets, and what web/public holds) and a version that changes with any of them, so a new build
// installs a new worker and drops the old shell. Only in `vite build`: the dev server has no worker.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Plugin, transformWithOxc } from 'vite';

export const serviceWorkerSource = path.join(import.meta.dirname, 'src', 'service-worker', 'sw.ts');

/** Files never precached: source maps (only for debugging) and the worker itself. */
const skipped = (file: string) => file.endsWith('.map') || file === 'sw.js' || file.startsWith('.');

export function serviceWorker(): Plugin {
  let publicDir = '';
  return {
    name: 'tidings:service-worker',
    apply: 'build',
    enforce: 'post',
    configResolved(config) {
      publicDir = config.publicDir;
    },
    async generateBundle(_options, bundle) {
      const version = createHash('sha256');
      const files = new Set<string>();
      for (const [fileName, output] of Object.entries(bundle)) {
        if (skipped(fileName)) continue;
        files.add(fileName);
        version.update(fileName).update('\0');
        // index.html names the hashed assets; its own content must move the version too.
        if (output.type === 'asset') version.update(output.source).update('\0');
      }
      for (const fileName of publicFiles(publicDir)) {
        files.add(fileName);
        version
          .update(fileName)
          .update('\0')
          .update(readFileSync(path.join(publicDir, fileName)))
          .update('\0');
      }
      const shell = {
        version: version.digest('hex').slice(0, 16),
        files: ['/', ...[...files].sort().map((file) => `/${file}`)],
      };
      const { code } = await transformWithOxc(readFileSync(serviceWorkerSource, 'utf8'), serviceWorkerSource, {
        lang: 'ts',
      });
      this.emitFile({
        type: 'asset',
        fileName: 'sw.js',
        source: `(() => {\n${code.replaceAll('__TIDINGS_SHELL__', JSON.stringify(shell))}\n})();\n`,
      });
    },
  };
}

function publicFiles(dir: string): string[] {
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .filter((file) => !skipped(file));
}
