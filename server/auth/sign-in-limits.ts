import type { IncomingMessage } from 'node:http';
import { APIError, type createAuthMiddleware } from 'better-auth/api';
import type { Config } from '../config.ts';

/**
 * The header Better Auth reads the client's address from. `setClientAddress` writes it on every
 * request to /api/auth/ from the socket; a copy the client sent never passes.
 */
export const clientAddressHeader = 'x-tidings-client-address';

/**
 * Writes the client's address for Better Auth: the socket's peer and, when trusted proxies are
 * configured, the X-Forwarded-For chain before it. Better Auth walks that chain from the right
 * past every trusted hop (`advanced.ipAddress.trustedProxies`), so X-Forwarded-For counts only
 * when the peer itself is a trusted proxy. Without trusted proxies it is the peer alone.
 *
 * Only Better Auth's own routes (/api/auth/) read it. Every other request is left as it came,
 * but for a copy a client sent, which is taken out: a stream keeps its request for its whole
 * life, and an added header costs it a grown header list.
 */
export function setClientAddress(req: IncomingMessage, trustProxies: boolean): void {
  if (!req.url?.startsWith('/api/auth/')) {
    if (req.headers[clientAddressHeader] !== undefined) writeHeader(req, undefined);
    return;
  }
  const peer = req.socket.remoteAddress ?? '';
  const forwarded = trustProxies ? req.headers['x-forwarded-for'] : undefined;
  writeHeader(req, forwarded ? `${forwarded}, ${peer}` : peer);
}

/** Sets (or, with undefined, removes) the client-address header in the parsed and the raw headers alike. */
function writeHeader(req: IncomingMessage, value: string | undefined) {
  if (value === undefined) delete req.headers[clientAddressHeader];
  else req.headers[clientAddressHeader] = value;
  // Requests handed on from the raw headers (stream-endpoint.ts) get the same value, not the client's.
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i]?.toLowerCase() === clientAddressHeader) raw.splice(i, 2);
  }
  if (value !== undefined) raw.push(clientAddressHeader, value);
}

/** Sign-in attempts one account may have in a window; a successful sign-in starts it afresh. */
export const accountLimit = { attempts: 5, windowMs: 15 * 60_000 } as const;
/** Accounts remembered at most: past it the oldest are forgotten, so made-up emails cannot fill memory. */
const maxAccounts = 100_000;

/**
 * Better Auth options and hooks for the sign-in limits (auth.ts spreads the options and calls the hooks).
 *
 * Per address: Better Auth's rate limiter (3 sign-in or sign-up attempts per 10 s, 100 requests
 * per 10 s on other /api/auth routes), keyed by the address `setClientAddress` wrote.
 *
 * Per account: 5 attempts on /sign-in/email per normalized email in 15 minutes, counted before
 * the password is checked (so parallel guesses count too), forgotten on a successful sign-in,
 * then 429. Kept in this process's memory, as Better Auth's own counts are: each instance of a
 * cluster counts on its own.
 *
 * `config.authRateLimit` turns both on or off.
 */
export function signInLimits(config: Pick<Config, 'authRateLimit' | 'trustedProxies'>) {
  const accounts = new Map<string, { attempts: number; until: number }>();
  return {
    options: {
      rateLimit: { enabled: config.authRateLimit },
      advanced: {
        ipAddress: { ipAddressHeaders: [clientAddressHeader], trustedProxies: config.trustedProxies },
      },
    },
    /** For Better Auth's `hooks.before` (auth.ts composes every hook into one). */
    async before(ctx: HookContext) {
      if (!config.authRateLimit || ctx.path !== '/sign-in/email') return;
      const email = normalizedEmail(ctx.body);
      if (!email) return;
      const now = Date.now();
      let account = accounts.get(email);
      if (!account || account.until <= now) {
        account = { attempts: 0, until: now + accountLimit.windowMs };
        accounts.delete(email);
        if (accounts.size >= maxAccounts) forget(accounts, now);
        accounts.set(email, account);
      }
      if (account.attempts >= accountLimit.attempts) {
        throw new APIError(
          'TOO_MANY_REQUESTS',
          { message: 'Too many sign-in attempts for this account. Try again later.', code: 'TOO_MANY_ATTEMPTS' },
          { 'retry-after': String(Math.ceil((account.until - now) / 1000)) },
        );
      }
      account.attempts++;
    },
    /** For Better Auth's `hooks.after`. */
    async after(ctx: HookContext) {
      if (ctx.path !== '/sign-in/email' || ctx.context.returned instanceof Error) return;
      const email = normalizedEmail(ctx.body);
      if (email) accounts.delete(email);
    },
  };
}

/** What Better Auth hands a hook. */
export type HookContext = Parameters<Parameters<typeof createAuthMiddleware>[0]>[0];

function normalizedEmail(body: unknown): string | null {
  const email = (body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' ? email.trim().toLowerCase() : null;
}

/** Drops the accounts whose window has passed, and the oldest if that is not enough. */
function forget(accounts: Map<string, { until: number }>, now: number) {
  for (const [email, account] of accounts) if (account.until <= now) accounts.delete(email);
  for (const email of accounts.keys()) {
    if (accounts.size < maxAccounts) break;
    accounts.delete(email);
  }
}
