import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Auth } from './auth.ts';
import { type Db, readOne } from './db.ts';
import { unauthenticated } from './errors.ts';
import type { NotificationService } from './notifications.ts';
import type { NotificationPubSub } from './pubsub.ts';
import type { CursorCarrier } from './sse.ts';
import type { StreamCredential, StreamRegistry, StreamReservation } from './streams.ts';

/** Who is calling: a signed-in user, or a service holding one of a user's API keys. */
export interface Viewer {
  userId: string;
  role: 'admin' | 'user';
  /** Admins and API keys may create notifications for anyone and read stream statistics. */
  privileged: boolean;
  /** The session or API key this request came with: streams end when it does. */
  credential: StreamCredential;
}

/** What every resolver receives. */
export interface Context extends CursorCarrier {
  db: Db;
  notifications: NotificationService;
  streams: StreamRegistry;
  pubsub: NotificationPubSub;
  viewer: Viewer | null;
  /** The cursor a reconnecting EventSource sends back: the Last-Event-ID header or a lastEventId query parameter. */
  lastEventId: string | null;
  /** Aborts when the client leaves; absent where the response itself tells (direct-http.ts). */
  signal?: AbortSignal | undefined;
  /** The Node response under this request (absent in single-connection mode's operation requests). */
  res?: { destroy(): void; readonly writableLength: number };
  /** The single-connection reservation an operation runs in (see single-connection.ts). */
  streamReservation?: StreamReservation | undefined;
}

/**
 * Finds the viewer of a request: the Better Auth session cookie first, then an `x-api-key`
 * header. Cached per request, since single-connection SSE asks twice (authenticate, then context).
 */
export function createViewerResolver({ auth, db }: { auth: Auth; db: Db }) {
  const cache = new WeakMap<Request, Promise<Viewer | null>>();
  const verifyKey = createApiKeyVerifier({ auth, db });
  const findSession = createSessionFinder({ auth, db });

  async function resolve(request: Request): Promise<Viewer | null> {
    // Without a cookie there is no session to find: skip Better Auth's lookup (API-key callers).
    const cookie = request.headers.get('cookie');
    if (cookie) {
      const session = await findSession(cookie, request.headers);
      if (session) return viewerOf(session.userId, session.role, { kind: 'session', id: session.sessionId });
    }
    const key = request.headers.get('x-api-key');
    if (!key) return null;
    const owner = await verifyKey(key);
    return owner ? viewerOf(owner.userId, owner.role, { kind: 'apiKey', id: owner.keyId }) : null;
  }

  return (request: Request): Promise<Viewer | null> => {
    const cached = cache.get(request);
    if (cached) return cached;
    const viewer = resolve(request);
    cache.set(request, viewer);
    return viewer;
  };
}

interface SessionOwner {
  sessionId: string;
  userId: string;
  role: string | null;
}

interface SessionRow {
  id: string;
  expiresAt: Date | string;
  userId: string;
  role: string | null;
}

/**
 * Finds the session of a Better Auth session cookie in one read. Better Auth's `getSession` took
 * about 3.5 ms of CPU (two Prisma queries and its endpoint machinery) on every stream open and
 * every request made with a cookie. The cookie is checked exactly as Better Auth signs it (the
 * token, a dot, the token's HMAC-SHA256 under the secret); sessions that are expired or due for
 * their sliding refresh still go through Better Auth, which deletes or extends them.
 */
export function createSessionFinder({ auth, db }: { auth: Auth; db: Db }) {
  const settings = auth.$context.then((ctx) => ({
    cookieName: ctx.authCookies.sessionToken.name,
    secret: ctx.secret,
    expiresInMs: ctx.sessionConfig.expiresIn * 1000,
    updateAgeMs: ctx.sessionConfig.updateAge * 1000,
  }));
  async function throughBetterAuth(headers: Headers): Promise<SessionOwner | null> {
    const session = await auth.api.getSession({ headers });
    return session ? { sessionId: session.session.id, userId: session.user.id, role: session.user.role ?? null } : null;
  }

  return async (cookie: string, headers: Headers): Promise<SessionOwner | null> => {
    const { cookieName, secret, expiresInMs, updateAgeMs } = await settings;
    const token = signedToken(cookieValue(cookie, cookieName), secret);
    if (!token) return null;
    const row = await readOne<SessionRow>(
      db,
      'SELECT s.id, s."expiresAt", s."userId", u.role FROM session s JOIN "user" u ON u.id = s."userId" WHERE s.token = ?',
      token,
    );
    if (!row) return null;
    const expiresAt = new Date(row.expiresAt).getTime();
    const now = Date.now();
    if (expiresAt <= now || expiresAt - expiresInMs + updateAgeMs <= now) return throughBetterAuth(headers);
    return { sessionId: row.id, userId: row.userId, role: row.role };
  };
}

/** The value of cookie `name` in a Cookie header, URL-decoded; null when absent. */
function cookieValue(header: string, name: string): string | null {
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at !== -1 && part.slice(0, at).trim() === name) {
      try {
        return decodeURIComponent(part.slice(at + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** The token of a signed cookie value (`token.base64(HMAC-SHA256(token))`), or null when the signature is wrong. */
function signedToken(value: string | null, secret: string): string | null {
  if (!value) return null;
  const dot = value.lastIndexOf('.');
  if (dot < 1) return null;
  const token = value.slice(0, dot);
  const signature = value.slice(dot + 1);
  if (signature.length !== 44 || !signature.endsWith('=')) return null;
  const given = Buffer.from(signature, 'base64');
  const expected = createHmac('sha256', secret).update(token).digest();
  return given.length === expected.length && timingSafeEqual(given, expected) ? token : null;
}

interface KeyOwner {
  keyId: string;
  userId: string;
  role: string | null;
}

interface KeyRow {
  id: string;
  enabled: boolean | number | null;
  expiresAt: Date | string | null;
  remaining: number | bigint | null;
  lastRequest: Date | string | null;
  userId: string;
  role: string | null;
}

/** How stale a key's `lastRequest` may get: it is written at most this often, off the request path. */
const lastRequestEveryMs = 60_000;

/**
 * Checks an API key the way Better Auth's plugin does (the SHA-256 of the key, base64url, is what
 * the table holds), in one read that also finds the owner. Better Auth's `verifyApiKey` writes the
 * key's row on every call (`lastRequest`, `updatedAt`) and takes three statements for it: that was
 * most of a mutation's time. Keys with a usage quota (`remaining`) and expired keys still go through
 * Better Auth, which counts the quota and deletes the expired key; `lastRequest` is kept within a
 * minute, written in the background.
 */
export function createApiKeyVerifier({ auth, db }: { auth: Auth; db: Db }) {
  const lastRequestWritten = new Map<string, number>();
  async function throughBetterAuth(key: string): Promise<KeyOwner | null> {
    const verified = await auth.api.verifyApiKey({ body: { key } });
    if (!verified.valid || !verified.key) return null;
    const owner = await db.user.findUnique({
      where: { id: verified.key.referenceId },
      select: { id: true, role: true },
    });
    return owner ? { keyId: verified.key.id, userId: owner.id, role: owner.role } : null;
  }

  function touch(row: KeyRow) {
    const now = Date.now();
    const last = lastRequestWritten.get(row.id) ?? (row.lastRequest ? new Date(row.lastRequest).getTime() : 0);
    if (now - last < lastRequestEveryMs) return;
    lastRequestWritten.set(row.id, now);
    if (lastRequestWritten.size > 10_000) lastRequestWritten.clear();
    void db.apikey.update({ where: { id: row.id }, data: { lastRequest: new Date(now) } }).catch(() => undefined);
  }

  return async (key: string): Promise<KeyOwner | null> => {
    const hashed = createHash('sha256').update(key).digest('base64url');
    const row = await readOne<KeyRow>(
      db,
      'SELECT k.id, k.enabled, k."expiresAt", k.remaining, k."lastRequest", u.id AS "userId", u.role FROM apikey k JOIN "user" u ON u.id = k."referenceId" WHERE k.key = ?',
      hashed,
    );
    if (!row) return null;
    if (row.enabled === false || row.enabled === 0) return null;
    const expired = row.expiresAt !== null && new Date(row.expiresAt).getTime() < Date.now();
    if (expired || row.remaining !== null) return throughBetterAuth(key);
    touch(row);
    return { keyId: row.id, userId: row.userId, role: row.role };
  };
}

function viewerOf(userId: string, role: string | null | undefined, credential: StreamCredential): Viewer {
  const isAdmin = role === 'admin';
  return { userId, role: isAdmin ? 'admin' : 'user', privileged: isAdmin || credential.kind === 'apiKey', credential };
}

/** The cursor a reconnecting EventSource sends back, as a header or (where headers cannot be set) a query parameter. */
export function lastEventIdOf(request: Request): string | null {
  return request.headers.get('last-event-id') ?? new URL(request.url).searchParams.get('lastEventId');
}

/** The viewer, or the UNAUTHENTICATED error every operation but introspection answers without one. */
export function requireViewer(ctx: Context): Viewer {
  if (!ctx.viewer) throw unauthenticated();
  return ctx.viewer;
}
