import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.webmanifest': 'application/manifest+json',
};

/** The web client's service worker: it must be checked for updates on every visit, and controls all of `/`. */
const serviceWorkerPath = '/sw.js';

interface StaticFile {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
  /** Vite names what is under assets/ by content hash: cache it forever. */
  immutable: boolean;
}

/**
 * Serves the built web client (Vite's output) from memory: it is a few hundred kilobytes, read once
 * at start. Unknown paths that a browser navigates to get index.html, so client routes survive a
 * reload; everything outside assets/ (index.html, the service worker /sw.js, the chime) is
 * revalidated on every use. Returns null when `dir` holds no build.
 */
export function loadWebClient(dir: string): ((request: Request, url: URL) => Response | null) | null {
  if (!existsSync(path.join(dir, 'index.html'))) return null;
  const files = new Map<string, StaticFile>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.startsWith('.')) continue;
    const full = path.join(entry.parentPath, entry.name);
    const urlPath = `/${path.relative(dir, full).split(path.sep).join('/')}`;
    const body = new Uint8Array(readFileSync(full));
    files.set(urlPath, {
      body,
      type: contentTypes[path.extname(entry.name)] ?? 'application/octet-stream',
      etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
      immutable: urlPath.startsWith('/assets/'),
    });
  }
  const index = files.get('/index.html');

  return (request, url) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return null;
    let file = files.get(url.pathname === '/' ? '/index.html' : url.pathname);
    if (!file && !path.extname(url.pathname) && request.headers.get('accept')?.includes('text/html')) file = index;
    if (!file) return null;
    const headers: Record<string, string> = {
      'content-type': file.type,
      etag: file.etag,
      'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    };
    if (url.pathname === serviceWorkerPath) headers['service-worker-allowed'] = '/';
    if (request.headers.get('if-none-match') === file.etag) return new Response(null, { status: 304, headers });
    return new Response(request.method === 'HEAD' ? null : file.body, { headers });
  };
}
