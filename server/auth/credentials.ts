import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { StreamEndReason } from '../realtime/events.ts';
import type { CredentialCheck, StreamCredential } from '../realtime/streams.ts';
import type { Database } from '../store/db.ts';
import type { Auth } from './auth.ts';
import { type Permissions, serviceUserEmail } from './scopes.ts';

/**
 * The fast path for the two credentials Tidings accepts: Better Auth's session cookie and an API
 * key of Better Auth's API-key plugin. It exists because Better Auth's own checks are too slow
 * for the path of every request and every stream open: `getSession` cost about 3.5 ms of CPU
 * (two Prisma queries and its endpoint machinery), and `verifyApiKey` writes the key's row on
 * every call. Each check here is one indexed read on the engine's raw connection (db.ts; on
 * PostgreSQL the key reads of one event-loop turn share one statement, `Sql.oneBy`).
 *
 * It must answer exactly as Better Auth does: tests/credentials-contract.test.ts runs every
 * credential state (valid, expired, in the refresh window, signed out, user banned, key disabled,
 * expired, with a quota, deleted, wrong secret, tampered cookie) through this module and through
 * Better Auth and requires the same answer. Whatever needs Better Auth's writes (an expired
 * session or key is deleted, a session in its refresh window is extended, a quota is counted)
 * is handed to Better Auth itself. A key of a banned user is refused: the admin plugin bans
 * sessions (it deletes them and refuses new ones), and Tidings applies the same rule to keys.
 */

/** Whose credential it is, and what it carries. */
export interface CredentialOwner {
  userId: string;
  role: string | null;
  credential: StreamCredential;
  /** The API key's permissions; null for a session. */
  permissions: Permissions | null;
}

/**
 * Whether the admin plugin counts a user as banned: banned, with no end to the ban or an end
 * still ahead (the plugin lifts a ban whose `banExpires` has passed at the next sign-in).
 */
export function isBanned(user: BanState): boolean {
  if (user.banned !== true && user.banned !== 1) return false;
  return user.banExpires === null || new Date(user.banExpires).getTime() >= Date.now();
}

/** Every user who can sign in: not banned, not the built-in service user (createNotifications' allUsers). */
export async function usersWhoCanSignIn({ prisma }: Pick<Database, 'prisma'>): Promise<string[]> {
  const users = await prisma.user.findMany({
    where: { email: { not: serviceUserEmail } },
    select: { id: true, banned: true, banExpires: true },
  });
  return users.filter((user) => !isBanned(user)).map((user) => user.id);
}

export function createCredentialChecker({ auth, db }: { auth: Auth; db: Database }) {
  return {
    session: createSessionFinder({ auth, db }),
    apiKey: createApiKeyVerifier({ auth, db }),
  };
}

export type CredentialChecker = ReturnType<typeof createCredentialChecker>;

interface SessionRow {
  id: string;
  expiresAt: Date | string;
  userId: string;
  role: string | null;
}

/**
 * Finds the session of a Better Auth session cookie in one read. The cookie is checked as Better
 * Auth signs it (the token, a dot, the token's HMAC-SHA256 under the secret); sessions that are
 * expired or due for their sliding refresh go through Better Auth, which deletes or extends them.
 */
function createSessionFinder({ auth, db }: { auth: Auth; db: Database }) {
  const settings = auth.$context.then((ctx) => ({
    cookieName: ctx.authCookies.sessionToken.name,
    secret: ctx.secret,
    expiresInMs: ctx.sessionConfig.expiresIn * 1000,
    updateAgeMs: ctx.sessionConfig.updateAge * 1000,
  }));
  async function throughBetterAuth(headers: Headers): Promise<CredentialOwner | null> {
    const session = await auth.api.getSession({ headers });
    if (!session) return null;
    return {
      userId: session.user.id,
      role: session.user.role ?? null,
      credential: { kind: 'session', id: session.session.id },
      permissions: null,
    };
  }

  return async (headers: Headers): Promise<CredentialOwner | null> => {
    const cookie = headers.get('cookie');
    if (!cookie) return null;
    const { cookieName, secret, expiresInMs, updateAgeMs } = await settings;
    const token = signedToken(cookieValue(cookie, cookieName), secret);
    if (!token) return null;
    const row = await db.sql.one<SessionRow>(
      'SELECT s.id, s."expiresAt", s."userId", u.role FROM session s JOIN "user" u ON u.id = s."userId" WHERE s.token = ?',
      token,
    );
    if (!row) return null;
    const expiresAt = new Date(row.expiresAt).getTime();
    const now = Date.now();
    if (expiresAt <= now || expiresAt - expiresInMs + updateAgeMs <= now) return throughBetterAuth(headers);
    return { userId: row.userId, role: row.role, credential: { kind: 'session', id: row.id }, permissions: null };
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

interface KeyRow {
  id: string;
  enabled: boolean | number | null;
  expiresAt: Date | string | null;
  remaining: number | bigint | null;
  lastRequest: Date | string | null;
  permissions: string | null;
  userId: string;
  role: string | null;
  banned: boolean | number | null;
  banExpires: Date | string | null;
}

/** How stale a key's `lastRequest` may get: it is written at most this often, off the request path. */
const lastRequestEveryMs = 60_000;

/**
 * Checks an API key the way Better Auth's plugin does (the table holds the SHA-256 of the key,
 * base64url), in one read that also finds the owner. Keys with a usage quota (`remaining`) and
 * expired keys go through Better Auth, which counts the quota and deletes the expired key;
 * `lastRequest` is kept within a minute, written in the background.
 */
function createApiKeyVerifier({ auth, db }: { auth: Auth; db: Database }) {
  const lastRequestWritten = new Map<string, number>();
  async function throughBetterAuth(key: string): Promise<CredentialOwner | null> {
    const verified = await auth.api.verifyApiKey({ body: { key } });
    if (!verified.valid || !verified.key) return null;
    const owner = await db.prisma.user.findUnique({
      where: { id: verified.key.referenceId },
      select: { id: true, role: true, banned: true, banExpires: true },
    });
    if (!owner || isBanned(owner)) return null;
    return {
      userId: owner.id,
      role: owner.role,
      credential: { kind: 'apiKey', id: verified.key.id },
      permissions: (verified.key.permissions as Permissions | null) ?? null,
    };
  }

  function touch(row: KeyRow) {
    const now = Date.now();
    const last = lastRequestWritten.get(row.id) ?? (row.lastRequest ? new Date(row.lastRequest).getTime() : 0);
    if (now - last < lastRequestEveryMs) return;
    lastRequestWritten.set(row.id, now);
    if (lastRequestWritten.size > 10_000) lastRequestWritten.clear();
    void db.prisma.apikey
      .update({ where: { id: row.id }, data: { lastRequest: new Date(now) } })
      .catch(() => undefined);
  }

  return async (key: string): Promise<CredentialOwner | null> => {
    const hashed = createHash('sha256').update(key).digest('base64url');
    const row = await db.sql.oneBy<KeyRow>(
      'SELECT k.key AS "by", k.id, k.enabled, k."expiresAt", k.remaining, k."lastRequest", k.permissions, u.id AS "userId", u.role, u.banned, u."banExpires" FROM apikey k JOIN "user" u ON u.id = k."referenceId" WHERE k.key = ?',
      hashed,
    );
    if (!row) return null;
    if (isDisabled(row)) return null;
    if (hasExpired(row, Date.now()) || row.remaining !== null) return throughBetterAuth(key);
    if (isBanned(row)) return null;
    touch(row);
    return {
      userId: row.userId,
      role: row.role,
      credential: { kind: 'apiKey', id: row.id },
      permissions: parsePermissions(row.permissions),
    };
  };
}

/** A key's stored permissions (JSON text, as the plugin writes it); anything unreadable grants nothing. */
function parsePermissions(text: string | null): Permissions | null {
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Permissions) : null;
  } catch {
    return null;
  }
}

/** A key the plugin's `enabled` column turned off (SQLite stores booleans as 0 and 1). */
function isDisabled(key: { enabled: boolean | number | null }): boolean {
  return key.enabled === false || key.enabled === 0;
}

/** Whether a key's expiry has passed at `now` (ms); a key without one never expires. */
function hasExpired(key: { expiresAt: Date | string | null }, now: number): boolean {
  return key.expiresAt !== null && new Date(key.expiresAt).getTime() < now;
}

interface BanState {
  banned: boolean | number | null;
  banExpires: Date | string | null;
}

/**
 * The periodic check of open streams' credentials (see CredentialCheck): which sessions expired or
 * are gone, which API keys are deleted, disabled or expired, whose user is banned. A page at a
 * time, in raw SQL: one Prisma query for 5,000 sessions held the event loop for about 200 ms (most
 * of it in Prisma's query compiler), and every stream's events waited.
 */
export function createStreamCredentialCheck(db: Database): CredentialCheck {
  const readIn = <T>(select: string, ids: string[]) =>
    inPages(ids, (page) => db.sql.all<T>(`${select} IN (${page.map(() => '?').join(', ')})`, ...page));

  return async (holders) => {
    const idsOf = (kind: StreamCredential['kind']) => [
      ...new Set(holders.filter((h) => h.credential.kind === kind).map((h) => h.credential.id)),
    ];
    const now = Date.now();
    const sessions = await readIn<{ id: string; expiresAt: Date | string }>(
      'SELECT id, "expiresAt" FROM session WHERE id',
      idsOf('session'),
    );
    const keys = await readIn<
      { id: string; enabled: boolean | number | null; expiresAt: Date | string | null } & BanState
    >(
      'SELECT k.id, k.enabled, k."expiresAt", u.banned, u."banExpires" FROM apikey k JOIN "user" u ON u.id = k."referenceId" WHERE k.id',
      idsOf('apiKey'),
    );
    const sessionState = new Map(
      sessions.map((s) => [s.id, new Date(s.expiresAt).getTime() > now ? null : ('SESSION_EXPIRED' as const)]),
    );
    const keyState = new Map(
      keys.map((k) => [
        k.id,
        isBanned(k)
          ? ('USER_BANNED' as const)
          : isDisabled(k) || hasExpired(k, now)
            ? ('API_KEY_REVOKED' as const)
            : null,
      ]),
    );
    const ending = new Map<(typeof holders)[number], StreamEndReason>();
    for (const holder of holders) {
      const { kind, id } = holder.credential;
      const state = kind === 'session' ? sessionState.get(id) : keyState.get(id);
      if (state === null) continue;
      ending.set(holder, state ?? (kind === 'session' ? 'SESSION_REVOKED' : 'API_KEY_REVOKED'));
    }
    // A ban deletes the user's sessions: tell those clients it was a ban, not a sign-out.
    const endingUsers = [...new Set([...ending.keys()].map((holder) => holder.userId))];
    const users = await readIn<{ id: string } & BanState>(
      'SELECT id, banned, "banExpires" FROM "user" WHERE id',
      endingUsers,
    );
    const banned = new Set(users.filter(isBanned).map((user) => user.id));
    for (const holder of ending.keys()) if (banned.has(holder.userId)) ending.set(holder, 'USER_BANNED');
    return ending;
  };
}

/** Runs `query` on `ids` a page at a time, one after the other, and concatenates the rows. */
async function inPages<T>(ids: string[], query: (page: string[]) => Promise<T[]>, size = 250): Promise<T[]> {
  const rows: T[] = [];
  for (let from = 0; from < ids.length; from += size) {
    rows.push(...(await query(ids.slice(from, from + size))));
    // SQLite answers synchronously: without a turn of the event loop between pages, 10,000
    // streams' check would hold every event back for its whole length.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return rows;
}
