import { createECDH, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';

/** Every setting Tidings reads from its environment, parsed and checked in one place. */
export interface Config {
  port: number;
  host: string;
  /** The origin browsers use to reach this server; Better Auth signs cookies for it. */
  publicUrl: string;
  databaseUrl: string;
  provider: 'sqlite' | 'postgresql';
  dataDir: string;
  authSecret: string;
  /** The origins configured (TIDINGS_TRUSTED_ORIGINS or the public URL's); see `trustedOriginsOf` for all trusted. */
  trustedOrigins: string[];
  /** Addresses or CIDR ranges of the proxies whose X-Forwarded-For is believed; empty: the socket's address is the client's. */
  trustedProxies: string[];
  /** Sign-in limits on /api/auth: Better Auth's per address, and Tidings' per account. */
  authRateLimit: boolean;
  heartbeatMs: number;
  /** Redis for fan-out across instances; null keeps events in this process. */
  redisUrl: string | null;
  eventRetentionHours: number;
  streamMaxBufferBytes: number;
  maxStreamsPerUser: number;
  /** How long a single-connection reservation may wait for its event stream (30 s; tests shorten it). */
  streamReservationTtlMs: number;
  /** Mutations one user (session) may make per minute. */
  rateLimitPerMinute: number;
  /** Mutations one API key may make per minute. */
  apiKeyRateLimitPerMinute: number;
  /** How often open streams check that their session or API key is still valid. */
  credentialCheckMs: number;
  /** API keys one user may make for themselves through Better Auth's endpoints. */
  maxApiKeysPerUser: number;
  /** Bearer token that opens /metrics on the main port; null: /metrics is not served there. */
  metricsToken: string | null;
  /** A second listener on 127.0.0.1 serving /metrics without a token (0: any free port); null: none. */
  metricsPort: number | null;
  production: boolean;
  logLevel: LogLevel;
  /** The built web client served at `/`; null serves none (`/` then leads to GraphiQL). */
  webDir: string | null;
  /** Kinds no user may mute (TIDINGS_CRITICAL_KINDS, default `security`). */
  criticalKinds: string[];
  /** TIDINGS_VAPID_PUBLIC_KEY and TIDINGS_VAPID_PRIVATE_KEY; null: generated on first start and stored in the database. */
  vapidKeys: { publicKey: string; privateKey: string } | null;
  /** TIDINGS_VAPID_SUBJECT: who push services may contact about this server's pushes (mailto: or https:). */
  vapidSubject: string;
  /** TIDINGS_PUSH_ALLOW_PRIVATE_ENDPOINTS=1 (tests only): push endpoints may be private addresses (https still required). */
  pushAllowPrivateEndpoints: boolean;
  /** A certificate authority push requests trust besides the system's: tests' own push service (no variable). */
  pushCa: string | null;
  /** How long web push waits before each retry of a failed send (1 s, 4 s, 16 s; tests shorten them). */
  pushRetryDelaysMs: number[];
  /** Web push sends that may wait for a free connection; past it they are dropped (10,000; tests lower it). */
  pushMaxQueue: number;
}

/** The shortest password Better Auth accepts here (the CLI checks it before it opens anything). */
export const minPasswordLength = 8;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** A configuration problem a person must fix; main prints its message alone and exits 1. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Reads the configuration from `env` (process.env by default), with defaults for development. */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const production = overrides.production ?? env.NODE_ENV === 'production';
  const port = overrides.port ?? integer(env, 'PORT', 4000, { min: 0, max: 65535 });
  const host = overrides.host ?? (env.HOST || 'localhost');
  const publicUrl = trimSlash(overrides.publicUrl ?? (env.BETTER_AUTH_URL || `http://localhost:${port}`));
  const dataDir = path.resolve(overrides.dataDir ?? (env.TIDINGS_DATA_DIR || 'data'));
  const databaseUrl = overrides.databaseUrl ?? (env.DATABASE_URL || 'file:./data/tidings.db');
  // Checked before the secret, which may be written to the data folder: a refused URL leaves nothing behind.
  const provider = providerOf(databaseUrl);
  const authSecret = overrides.authSecret ?? readSecret(env, production, dataDir);
  const trustedOrigins =
    overrides.trustedOrigins ??
    (env.TIDINGS_TRUSTED_ORIGINS
      ? env.TIDINGS_TRUSTED_ORIGINS.split(',')
          .map((origin) => trimSlash(origin.trim()))
          .filter(Boolean)
      : [new URL(publicUrl).origin]);
  const trustedProxies = overrides.trustedProxies ?? parseTrustedProxies(env.TIDINGS_TRUSTED_PROXIES);
  const authRateLimit = overrides.authRateLimit ?? onOff(env, 'TIDINGS_AUTH_RATE_LIMIT', true);
  const logLevel = overrides.logLevel ?? parseLogLevel(env.LOG_LEVEL);
  const webDir =
    overrides.webDir !== undefined
      ? overrides.webDir
      : env.TIDINGS_WEB_DIR === 'off'
        ? null
        : path.resolve(env.TIDINGS_WEB_DIR || path.join(import.meta.dirname, '..', 'web', 'dist'));

  const metricsPort =
    overrides.metricsPort !== undefined
      ? overrides.metricsPort
      : env.TIDINGS_METRICS_PORT
        ? integer(env, 'TIDINGS_METRICS_PORT', 0, { min: 0, max: 65535 })
        : null;
  if (metricsPort !== null && metricsPort !== 0 && metricsPort === port) {
    throw new ConfigError(`TIDINGS_METRICS_PORT must differ from PORT (both are ${port}).`);
  }

  const pushAllowPrivateEndpoints =
    overrides.pushAllowPrivateEndpoints ?? onOff(env, 'TIDINGS_PUSH_ALLOW_PRIVATE_ENDPOINTS', false, ['1', '0']);
  if (pushAllowPrivateEndpoints && production) {
    throw new ConfigError(
      'TIDINGS_PUSH_ALLOW_PRIVATE_ENDPOINTS=1 is for tests with a push service on loopback; it cannot be set when NODE_ENV=production.',
    );
  }

  return {
    port,
    host,
    publicUrl,
    databaseUrl,
    provider,
    dataDir,
    authSecret,
    trustedOrigins,
    trustedProxies,
    authRateLimit,
    heartbeatMs: overrides.heartbeatMs ?? integer(env, 'TIDINGS_HEARTBEAT_MS', 30_000, { min: 50, max: 3_600_000 }),
    redisUrl: overrides.redisUrl !== undefined ? overrides.redisUrl : redisUrlOf(env.REDIS_URL),
    eventRetentionHours:
      overrides.eventRetentionHours ?? number(env, 'TIDINGS_EVENT_RETENTION_HOURS', 168, { min: 0.01, max: 87_600 }),
    streamMaxBufferBytes:
      overrides.streamMaxBufferBytes ??
      integer(env, 'TIDINGS_STREAM_MAX_BUFFER_BYTES', 1024 * 1024, { min: 4096, max: 1024 ** 3 }),
    maxStreamsPerUser:
      overrides.maxStreamsPerUser ?? integer(env, 'TIDINGS_MAX_STREAMS_PER_USER', 10, { min: 1, max: 10_000 }),
    streamReservationTtlMs: overrides.streamReservationTtlMs ?? 30_000,
    rateLimitPerMinute:
      overrides.rateLimitPerMinute ?? integer(env, 'TIDINGS_RATE_LIMIT_PER_MINUTE', 600, { min: 1, max: 10_000_000 }),
    apiKeyRateLimitPerMinute:
      overrides.apiKeyRateLimitPerMinute ??
      integer(env, 'TIDINGS_API_KEY_RATE_LIMIT_PER_MINUTE', 6_000, { min: 1, max: 10_000_000 }),
    credentialCheckMs:
      overrides.credentialCheckMs ?? integer(env, 'TIDINGS_CREDENTIAL_CHECK_MS', 30_000, { min: 50, max: 3_600_000 }),
    maxApiKeysPerUser:
      overrides.maxApiKeysPerUser ?? integer(env, 'TIDINGS_MAX_API_KEYS_PER_USER', 10, { min: 0, max: 10_000 }),
    metricsToken: overrides.metricsToken !== undefined ? overrides.metricsToken : metricsTokenOf(env),
    metricsPort,
    production,
    logLevel,
    webDir,
    criticalKinds: overrides.criticalKinds ?? parseCriticalKinds(env.TIDINGS_CRITICAL_KINDS),
    vapidKeys: overrides.vapidKeys !== undefined ? overrides.vapidKeys : parseVapidKeys(env),
    vapidSubject: overrides.vapidSubject ?? parseVapidSubject(env.TIDINGS_VAPID_SUBJECT, publicUrl),
    pushAllowPrivateEndpoints,
    pushCa: overrides.pushCa ?? null,
    pushRetryDelaysMs: overrides.pushRetryDelaysMs ?? [1_000, 4_000, 16_000],
    pushMaxQueue: overrides.pushMaxQueue ?? 10_000,
  };
}

/**
 * TIDINGS_VAPID_PUBLIC_KEY and TIDINGS_VAPID_PRIVATE_KEY, as `npx web-push generate-vapid-keys`
 * prints them: both or neither, a P-256 key pair in base64url that belong together.
 */
function parseVapidKeys(env: Env): Config['vapidKeys'] {
  const publicKey = env.TIDINGS_VAPID_PUBLIC_KEY?.trim() || '';
  const privateKey = env.TIDINGS_VAPID_PRIVATE_KEY?.trim() || '';
  if (!publicKey && !privateKey) return null;
  if (!publicKey || !privateKey) {
    throw new ConfigError(
      `TIDINGS_VAPID_PUBLIC_KEY and TIDINGS_VAPID_PRIVATE_KEY go together: ${publicKey ? 'TIDINGS_VAPID_PRIVATE_KEY' : 'TIDINGS_VAPID_PUBLIC_KEY'} is missing. Set both (\`npx web-push generate-vapid-keys\`), or neither to have Tidings generate and store a pair.`,
    );
  }
  const bytes = (text: string) => (/^[A-Za-z0-9_-]+$/.test(text) ? Buffer.from(text, 'base64url') : Buffer.alloc(0));
  const pub = bytes(publicKey);
  if (pub.length !== 65 || pub[0] !== 4) {
    throw new ConfigError(
      'TIDINGS_VAPID_PUBLIC_KEY must be an uncompressed P-256 public key in base64url (65 bytes, 87 characters), as `npx web-push generate-vapid-keys` prints it.',
    );
  }
  const priv = bytes(privateKey);
  if (priv.length !== 32) {
    throw new ConfigError(
      'TIDINGS_VAPID_PRIVATE_KEY must be a P-256 private key in base64url (32 bytes, 43 characters), as `npx web-push generate-vapid-keys` prints it.',
    );
  }
  let matches = false;
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(priv);
    matches = ecdh.getPublicKey().equals(pub);
  } catch {
    matches = false;
  }
  if (!matches) {
    throw new ConfigError('TIDINGS_VAPID_PRIVATE_KEY is not the private key of TIDINGS_VAPID_PUBLIC_KEY.');
  }
  return { publicKey, privateKey };
}

/** TIDINGS_VAPID_SUBJECT: a mailto: address or an https: URL; default the public URL when it is https, else mailto:push@<its host>. */
function parseVapidSubject(raw: string | undefined, publicUrl: string): string {
  const given = raw?.trim();
  if (!given) {
    const url = new URL(publicUrl);
    return url.protocol === 'https:' ? url.origin : `mailto:push@${url.hostname}`;
  }
  const valid = /^mailto:[^@\s]+@[^@\s]+$/.test(given) || /^https:\/\/[^\s/]+/.test(given);
  if (!valid) {
    throw new ConfigError(
      `TIDINGS_VAPID_SUBJECT must be a mailto: address or an https:// URL push services can reach you at (for example mailto:ops@example.com); got "${given}".`,
    );
  }
  return given;
}

/** A comma-separated list of kinds, or `none`; default `security`. */
function parseCriticalKinds(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') return ['security'];
  if (text.trim() === 'none') return [];
  const kinds = text
    .split(',')
    .map((kind) => kind.trim())
    .filter(Boolean);
  const bad = kinds.find((kind) => !/^[A-Za-z0-9._-]{1,64}$/.test(kind));
  if (bad !== undefined) {
    throw new ConfigError(
      `TIDINGS_CRITICAL_KINDS: "${bad}" is not a kind (1 to 64 letters, digits, dots, dashes or underscores; comma-separated, or none).`,
    );
  }
  return kinds;
}

/**
 * Every origin browsers may call Tidings from with cookies: the configured ones and, outside
 * production, the loopback names on the port the server listens on, so a newcomer's browser at
 * http://127.0.0.1:4000 works as http://localhost:4000 does. `port` is the listening one (with
 * PORT=0 it is known only once the server listens).
 */
export function trustedOriginsOf(config: Pick<Config, 'trustedOrigins' | 'production'>, port: number): string[] {
  if (config.production || port === 0) return config.trustedOrigins;
  const loopback = ['localhost', '127.0.0.1', '[::1]'].map((host) => `http://${host}:${port}`);
  return [...new Set([...config.trustedOrigins, ...loopback])];
}

/** Which database engine a `DATABASE_URL` names; refuses a URL Tidings cannot use. */
export function providerOf(databaseUrl: string): Config['provider'] {
  if (inMemory(databaseUrl)) {
    // Prisma, the migrator and the fast write connection each open the URL: in memory, each
    // would get a database of its own, and the server would fail on its first query.
    throw new ConfigError(
      `DATABASE_URL="${databaseUrl}" names an in-memory SQLite database, which Tidings cannot use. ` +
        'Give it a file path instead, for example DATABASE_URL=file:./data/tidings.db ' +
        '(for a throwaway database, a file under /tmp).',
    );
  }
  if (databaseUrl.startsWith('file:')) {
    if (!databaseUrl.slice('file:'.length).split('?')[0]) {
      throw new ConfigError('DATABASE_URL=file: names no file; give a path, for example file:./data/tidings.db.');
    }
    return 'sqlite';
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return 'postgresql';
  throw new ConfigError(
    `DATABASE_URL must start with file: (SQLite) or postgres:// / postgresql:// (PostgreSQL); got "${databaseUrl.split(':')[0]}:…"`,
  );
}

/** `:memory:` and `file::memory:` (with or without options), and SQLite's `file:…?mode=memory`. */
function inMemory(databaseUrl: string): boolean {
  if (databaseUrl === ':memory:') return true;
  if (!databaseUrl.startsWith('file:')) return false;
  const [name = '', options = ''] = databaseUrl.slice('file:'.length).split('?');
  return name === ':memory:' || options.split('&').includes('mode=memory');
}

function readSecret(env: Env, production: boolean, dataDir: string): string {
  const given = env.BETTER_AUTH_SECRET;
  if (given) {
    if (given.length < 32) throw new ConfigError('BETTER_AUTH_SECRET must be at least 32 characters long.');
    return given;
  }
  if (production) {
    throw new ConfigError(
      'BETTER_AUTH_SECRET is required when NODE_ENV=production. Generate one with `openssl rand -base64 32`.',
    );
  }
  // Development: one random secret, made on first start and kept, so sessions survive restarts.
  const file = path.join(dataDir, 'auth-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

function integer(env: Env, name: string, fallback: number, range: { min: number; max: number }) {
  return number(env, name, fallback, range, 'a whole number');
}

function number(
  env: Env,
  name: string,
  fallback: number,
  range: { min: number; max: number },
  kind: 'a number' | 'a whole number' = 'a number',
) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  const valid = kind === 'a whole number' ? Number.isInteger(value) : Number.isFinite(value);
  if (!valid || value < range.min || value > range.max) {
    throw new ConfigError(`${name} must be ${kind} from ${range.min} to ${range.max}; got "${raw}".`);
  }
  return value;
}

/** TIDINGS_TRUSTED_PROXIES: IP addresses or CIDR ranges, comma-separated; a bad entry is named. */
function parseTrustedProxies(raw: string | undefined): string[] {
  const entries = (raw ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const badPrefix = prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits);
    if (family === 0 || badPrefix || extra !== undefined) {
      throw new ConfigError(
        `TIDINGS_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range (for example 10.0.0.1, 10.0.0.0/8 or fd00::/8).`,
      );
    }
  }
  return entries;
}

/** A switch setting, spelled `on`/`off` (or, for a test-only one, `1`/`0`); unset: `fallback`. */
function onOff(env: Env, name: string, fallback: boolean, [on, off] = ['on', 'off']): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === on) return true;
  if (raw === off) return false;
  throw new ConfigError(`${name} must be ${on} or ${off}; got "${raw}".`);
}

function metricsTokenOf(env: Env): string | null {
  const token = env.TIDINGS_METRICS_TOKEN;
  if (!token) return null;
  if (token.length < 16 || /\s/.test(token)) {
    throw new ConfigError(
      'TIDINGS_METRICS_TOKEN must be at least 16 characters, without spaces. Generate one with `openssl rand -hex 32`.',
    );
  }
  return token;
}

function redisUrlOf(raw: string | undefined): string | null {
  if (!raw) return null;
  if (!/^rediss?:\/\//.test(raw)) throw new ConfigError('REDIS_URL must start with redis:// or rediss://.');
  return raw;
}

function parseLogLevel(raw: string | undefined): LogLevel {
  const levels: LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
  if (!raw) return 'info';
  if ((levels as string[]).includes(raw)) return raw as LogLevel;
  throw new ConfigError(`LOG_LEVEL must be one of ${levels.join(', ')}; got "${raw}".`);
}

function trimSlash(url: string) {
  return url.replace(/\/+$/, '');
}
