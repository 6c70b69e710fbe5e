// The web client's service worker, served at /sw.js with scope /. It owns three jobs:
//  - the app shell: the build's index.html and hashed assets are precached at install, so the app
//    opens without a network (navigations network-first, falling back to the shell; assets
//    cache-first). The API (/graphql, /graphql/stream, /api/…) is never cached or answered here;
//  - web push: a push's payload is shown as a system notification;
//  - a click on one: it is marked read on the server, and the app (or the notification's link)
//    comes to the front.
// It must never import the app's modules (it runs in a worker, built on its own by
// web/service-worker-build.ts, and type-checked with the WebWorker library by its own tsconfig).

// A script, not a module (a classic worker runs everywhere): `self` is typed for a service worker here.
const worker = self as unknown as ServiceWorkerGlobalScope;

/** What the build writes in place of `__TIDINGS_SHELL__`: its version and every file to precache. */
interface Shell {
  version: string;
  files: string[];
}
declare const __TIDINGS_SHELL__: Shell;
const shell: Shell = __TIDINGS_SHELL__;

const cachePrefix = 'tidings-shell-';
const cacheName = `${cachePrefix}${shell.version}`;

/** Paths that are the server's API or operators' endpoints: always the network's, never a cache's. */
function isApi(pathname: string): boolean {
  return (
    pathname === '/graphql' ||
    pathname.startsWith('/graphql/') ||
    pathname === '/api' ||
    pathname.startsWith('/api/') ||
    pathname === '/healthz' ||
    pathname === '/readyz' ||
    pathname === '/metrics' ||
    pathname === '/sw.js'
  );
}

worker.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(cacheName)
      .then((cache) => cache.addAll(shell.files.map((file) => new Request(file, { cache: 'reload' }))))
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names.filter((name) => name.startsWith(cachePrefix) && name !== cacheName).map((name) => caches.delete(name)),
        ),
      )
      .then(() => worker.clients.claim()),
  );
});

worker.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== worker.location.origin || isApi(url.pathname)) return;
  if (request.mode === 'navigate') {
    event.respondWith(fromNetworkOrShell(request));
    return;
  }
  event.respondWith(fromCacheOrNetwork(request));
});

/** Navigations: the server's answer (a new build shows at once), the cached shell without a network. */
async function fromNetworkOrShell(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch (error) {
    const cached = await caches.match('/index.html', { cacheName });
    if (cached) return cached;
    throw error;
  }
}

/** Assets are named by their content (or precached with this version): the cache's copy is right. */
async function fromCacheOrNetwork(request: Request): Promise<Response> {
  const cached = await caches.match(request, { cacheName, ignoreSearch: true });
  return cached ?? fetch(request);
}

/** A push's payload, as the server's helper builds it. */
interface PushPayload {
  id: string;
  kind: string;
  title: string;
  body: string | null;
  url: string | null;
  createdAt: string;
  critical: boolean;
}

/** What a notification shown for a push carries, for its click. */
interface ShownData {
  id: string;
  url: string | null;
}

worker.addEventListener('push', (event) => {
  const payload = readPayload(event.data);
  if (!payload) return;
  // Always shown: the server pushes only when no stream of the user is open (or the kind is
  // critical), and a push that shows nothing costs the site its push permission in some browsers.
  const data: ShownData = { id: payload.id, url: payload.url };
  event.waitUntil(
    worker.registration.showNotification(payload.title, {
      body: payload.body ?? undefined,
      tag: payload.id,
      data,
      requireInteraction: payload.critical,
    }),
  );
});

function readPayload(data: PushMessageData | null): PushPayload | null {
  try {
    const payload = data?.json() as Partial<PushPayload> | undefined;
    if (!payload || typeof payload.id !== 'string' || typeof payload.title !== 'string') return null;
    return {
      id: payload.id,
      kind: String(payload.kind ?? 'info'),
      title: payload.title,
      body: typeof payload.body === 'string' ? payload.body : null,
      url: typeof payload.url === 'string' ? payload.url : null,
      createdAt: String(payload.createdAt ?? ''),
      critical: payload.critical === true,
    };
  } catch {
    return null;
  }
}

worker.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data as Partial<ShownData> | null;
  if (!data?.id) return;
  event.waitUntil(Promise.all([markRead(data.id), bringToFront(data.url ?? null)]));
});

/**
 * Marks the notification read as the app does: a JSON POST to /graphql with the session cookie
 * (JSON is what the server's cross-site check asks of a request carrying a cookie).
 */
async function markRead(id: string): Promise<void> {
  try {
    await fetch('/graphql', {
      method: 'POST',
      credentials: 'include',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({
        operationName: 'ServiceWorkerMarkNotificationRead',
        query: /* GraphQL */ `
          mutation ServiceWorkerMarkNotificationRead($id: ID!) {
            markNotificationRead(id: $id) {
              id
            }
          }
        `,
        variables: { id },
      }),
    });
  } catch {
    // Offline or signed out: the notification stays unread in the app, where it can be read.
  }
}

/** The tab already at the link, or (no link) any tab of the app, comes to the front; otherwise a new window. */
async function bringToFront(url: string | null): Promise<void> {
  const target = new URL(url ?? '/', worker.location.origin).href;
  const windows = await worker.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((client) => client.url === target) ?? (url ? undefined : windows[0]);
  if (open) {
    await open.focus();
    return;
  }
  await worker.clients.openWindow(target);
}
