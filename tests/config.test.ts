import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { ConfigError, loadConfig, trustedOriginsOf } from '../server/config.ts';

const run = promisify(execFile);
const root = path.join(import.meta.dirname, '..');
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tidings-config-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('configuration', () => {
  it('has defaults that run with nothing set: port 4000, SQLite under ./data, own origin trusted', () => {
    const dataDir = tempDir();
    const config = loadConfig({ TIDINGS_DATA_DIR: dataDir });
    expect(config).toMatchObject({
      port: 4000,
      host: 'localhost',
      databaseUrl: 'file:./data/tidings.db',
      provider: 'sqlite',
      trustedOrigins: ['http://localhost:4000'],
      heartbeatMs: 30_000,
    });
  });

  it('makes one random development secret, keeps it private under the data folder, and reuses it', () => {
    const dataDir = tempDir();
    const first = loadConfig({ TIDINGS_DATA_DIR: dataDir }).authSecret;
    const file = path.join(dataDir, 'auth-secret');
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(loadConfig({ TIDINGS_DATA_DIR: dataDir }).authSecret).toBe(first);
    expect(first.length).toBeGreaterThanOrEqual(32);
  });

  it('requires BETTER_AUTH_SECRET in production and never writes one there', () => {
    const dataDir = tempDir();
    expect(() => loadConfig({ NODE_ENV: 'production', TIDINGS_DATA_DIR: dataDir })).toThrow(
      /BETTER_AUTH_SECRET is required/,
    );
    expect(existsSync(path.join(dataDir, 'auth-secret'))).toBe(false);
    const secret = 's'.repeat(40);
    expect(loadConfig({ NODE_ENV: 'production', BETTER_AUTH_SECRET: secret }).authSecret).toBe(secret);
    expect(() => loadConfig({ BETTER_AUTH_SECRET: 'short' })).toThrow(/at least 32/);
  });

  it('picks PostgreSQL from the URL scheme and refuses anything else', () => {
    const dataDir = tempDir();
    for (const url of ['postgres://u@h/db', 'postgresql://u@h:5432/db']) {
      expect(loadConfig({ DATABASE_URL: url, TIDINGS_DATA_DIR: dataDir }).provider).toBe('postgresql');
    }
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u@h/db', TIDINGS_DATA_DIR: dataDir })).toThrow(ConfigError);
  });

  it('refuses an in-memory SQLite database and says to give a file path', () => {
    const dataDir = tempDir();
    for (const url of [
      'file::memory:',
      ':memory:',
      'file::memory:?cache=shared',
      'file:memdb1?mode=memory&cache=shared',
    ]) {
      const load = () => loadConfig({ DATABASE_URL: url, TIDINGS_DATA_DIR: dataDir });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(/in-memory SQLite database, which Tidings cannot use\. Give it a file path instead/);
    }
    expect(() => loadConfig({ DATABASE_URL: 'file:', TIDINGS_DATA_DIR: dataDir })).toThrow(/names no file/);
    expect(loadConfig({ DATABASE_URL: 'file:./memory.db', TIDINGS_DATA_DIR: dataDir }).provider).toBe('sqlite');
  });

  it('parses trusted origins, port and heartbeat, with a clear message for bad values', () => {
    const dataDir = tempDir();
    const config = loadConfig({
      TIDINGS_DATA_DIR: dataDir,
      PORT: '8080',
      TIDINGS_TRUSTED_ORIGINS: 'https://app.example.com/, http://localhost:5173',
      TIDINGS_HEARTBEAT_MS: '15000',
    });
    expect(config.trustedOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(config.publicUrl).toBe('http://localhost:8080');
    expect(config.heartbeatMs).toBe(15_000);
    expect(() => loadConfig({ TIDINGS_DATA_DIR: dataDir, PORT: 'eighty' })).toThrow(/PORT must be a whole number/);
    expect(() => loadConfig({ TIDINGS_DATA_DIR: dataDir, TIDINGS_HEARTBEAT_MS: '0' })).toThrow(/TIDINGS_HEARTBEAT_MS/);
    expect(() => loadConfig({ TIDINGS_DATA_DIR: dataDir, LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('trusts the loopback origins on the listening port outside production, and only the configured ones in it', () => {
    const dataDir = tempDir();
    const development = loadConfig({ TIDINGS_DATA_DIR: dataDir });
    expect(trustedOriginsOf(development, 4000)).toEqual([
      'http://localhost:4000',
      'http://127.0.0.1:4000',
      'http://[::1]:4000',
    ]);
    const behindVite = loadConfig({ TIDINGS_DATA_DIR: dataDir, TIDINGS_TRUSTED_ORIGINS: 'http://localhost:5173' });
    expect(trustedOriginsOf(behindVite, 41234)).toEqual([
      'http://localhost:5173',
      'http://localhost:41234',
      'http://127.0.0.1:41234',
      'http://[::1]:41234',
    ]);
    const production = loadConfig({ NODE_ENV: 'production', BETTER_AUTH_SECRET: 's'.repeat(40) });
    expect(trustedOriginsOf(production, 4000)).toEqual(['http://localhost:4000']);
  });

  it('parses TIDINGS_TRUSTED_PROXIES and TIDINGS_AUTH_RATE_LIMIT, naming a bad entry', () => {
    const dataDir = tempDir();
    const defaults = loadConfig({ TIDINGS_DATA_DIR: dataDir });
    expect(defaults).toMatchObject({ trustedProxies: [], authRateLimit: true });
    const behindProxy = loadConfig({
      TIDINGS_DATA_DIR: dataDir,
      TIDINGS_TRUSTED_PROXIES: '10.0.0.1, 172.16.0.0/12,fd00::/8 ,::1',
      TIDINGS_AUTH_RATE_LIMIT: 'off',
    });
    expect(behindProxy).toMatchObject({
      trustedProxies: ['10.0.0.1', '172.16.0.0/12', 'fd00::/8', '::1'],
      authRateLimit: false,
    });
    for (const bad of ['10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/1', '10.0.0/8', 'fd00::/129', '10.0.0.0/x']) {
      const load = () => loadConfig({ TIDINGS_DATA_DIR: dataDir, TIDINGS_TRUSTED_PROXIES: `10.0.0.1,${bad}` });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(`TIDINGS_TRUSTED_PROXIES: "${bad}" is not an IP address or CIDR range`);
    }
    expect(() => loadConfig({ TIDINGS_DATA_DIR: dataDir, TIDINGS_AUTH_RATE_LIMIT: 'yes' })).toThrow(
      /TIDINGS_AUTH_RATE_LIMIT must be on or off/,
    );
  });

  it('reads the critical kinds (default security; none for no kind) and refuses what is not a kind', () => {
    const dataDir = tempDir();
    expect(loadConfig({ TIDINGS_DATA_DIR: dataDir }).criticalKinds).toEqual(['security']);
    expect(
      loadConfig({ TIDINGS_DATA_DIR: dataDir, TIDINGS_CRITICAL_KINDS: 'security, billing ,' }).criticalKinds,
    ).toEqual(['security', 'billing']);
    expect(loadConfig({ TIDINGS_DATA_DIR: dataDir, TIDINGS_CRITICAL_KINDS: 'none' }).criticalKinds).toEqual([]);
    expect(() => loadConfig({ TIDINGS_DATA_DIR: dataDir, TIDINGS_CRITICAL_KINDS: 'security,has space' })).toThrow(
      /TIDINGS_CRITICAL_KINDS: "has space" is not a kind/,
    );
  });

  it('reads the VAPID keys (both or neither, a matching P-256 pair), the subject and the private-endpoint flag', () => {
    const dataDir = tempDir();
    const base = { TIDINGS_DATA_DIR: dataDir };
    const keys = webpush.generateVAPIDKeys();
    const other = webpush.generateVAPIDKeys();
    expect(loadConfig(base)).toMatchObject({
      vapidKeys: null,
      vapidSubject: 'mailto:push@localhost',
      pushAllowPrivateEndpoints: false,
    });
    expect(loadConfig({ ...base, BETTER_AUTH_URL: 'https://tidings.example.com/' }).vapidSubject).toBe(
      'https://tidings.example.com',
    );
    expect(
      loadConfig({
        ...base,
        TIDINGS_VAPID_PUBLIC_KEY: keys.publicKey,
        TIDINGS_VAPID_PRIVATE_KEY: keys.privateKey,
        TIDINGS_VAPID_SUBJECT: 'mailto:ops@example.com',
      }),
    ).toMatchObject({ vapidKeys: keys, vapidSubject: 'mailto:ops@example.com' });
    const refused: [Record<string, string>, RegExp][] = [
      [{ TIDINGS_VAPID_PUBLIC_KEY: keys.publicKey }, /TIDINGS_VAPID_PRIVATE_KEY is missing/],
      [{ TIDINGS_VAPID_PRIVATE_KEY: keys.privateKey }, /TIDINGS_VAPID_PUBLIC_KEY is missing/],
      [
        { TIDINGS_VAPID_PUBLIC_KEY: keys.publicKey.slice(1), TIDINGS_VAPID_PRIVATE_KEY: keys.privateKey },
        /TIDINGS_VAPID_PUBLIC_KEY must be an uncompressed P-256 public key/,
      ],
      [
        { TIDINGS_VAPID_PUBLIC_KEY: keys.publicKey, TIDINGS_VAPID_PRIVATE_KEY: 'not+base64url' },
        /TIDINGS_VAPID_PRIVATE_KEY must be a P-256 private key/,
      ],
      [
        { TIDINGS_VAPID_PUBLIC_KEY: keys.publicKey, TIDINGS_VAPID_PRIVATE_KEY: other.privateKey },
        /TIDINGS_VAPID_PRIVATE_KEY is not the private key of TIDINGS_VAPID_PUBLIC_KEY/,
      ],
      [{ TIDINGS_VAPID_SUBJECT: 'ops@example.com' }, /TIDINGS_VAPID_SUBJECT must be a mailto: address or an https/],
      [{ TIDINGS_VAPID_SUBJECT: 'http://example.com' }, /TIDINGS_VAPID_SUBJECT must be/],
      [{ TIDINGS_PUSH_ALLOW_PRIVATE_ENDPOINTS: 'yes' }, /TIDINGS_PUSH_ALLOW_PRIVATE_ENDPOINTS must be 1 or 0/],
      [
        { TIDINGS_PUSH_ALLOW_PRIVATE_ENDPOINTS: '1', NODE_ENV: 'production', BETTER_AUTH_SECRET: 'x'.repeat(32) },
        /TIDINGS_PUSH_ALLOW_PRIVATE_ENDPOINTS=1 is for tests/,
      ],
    ];
    for (const [env, message] of refused) {
      expect(() => loadConfig({ ...base, ...env }), JSON.stringify(env)).toThrow(ConfigError);
      expect(() => loadConfig({ ...base, ...env })).toThrow(message);
    }
    expect(loadConfig({ ...base, TIDINGS_PUSH_ALLOW_PRIVATE_ENDPOINTS: '1' }).pushAllowPrivateEndpoints).toBe(true);
  });

  it('serves /metrics only when asked: a bearer token of 16+ characters, or a loopback port', () => {
    const dataDir = tempDir();
    expect(loadConfig({ TIDINGS_DATA_DIR: dataDir })).toMatchObject({ metricsToken: null, metricsPort: null });
    const token = 'x'.repeat(16);
    expect(
      loadConfig({ TIDINGS_DATA_DIR: dataDir, TIDINGS_METRICS_TOKEN: token, TIDINGS_METRICS_PORT: '9464' }),
    ).toMatchObject({ metricsToken: token, metricsPort: 9464 });
    expect(loadConfig({ TIDINGS_DATA_DIR: dataDir, TIDINGS_METRICS_PORT: '0' }).metricsPort).toBe(0);
    for (const bad of ['short', 'x'.repeat(15), `${'x'.repeat(16)} y`]) {
      expect(() => loadConfig({ TIDINGS_DATA_DIR: dataDir, TIDINGS_METRICS_TOKEN: bad })).toThrow(
        /TIDINGS_METRICS_TOKEN must be at least 16 characters/,
      );
    }
    for (const bad of ['65536', '-1', 'nine', '94.5']) {
      expect(() => loadConfig({ TIDINGS_DATA_DIR: dataDir, TIDINGS_METRICS_PORT: bad })).toThrow(
        /TIDINGS_METRICS_PORT must be a whole number from 0 to 65535/,
      );
    }
    expect(() => loadConfig({ TIDINGS_DATA_DIR: dataDir, PORT: '9464', TIDINGS_METRICS_PORT: '9464' })).toThrow(
      /TIDINGS_METRICS_PORT must differ from PORT/,
    );
  });

  // Each starts a Node process that compiles the server with tsx: seconds alone, far more on a busy machine.
  it('`npm start` in production without a secret exits 1 with the reason, before touching the database', {
    timeout: 60_000,
  }, async () => {
    const cwd = tempDir();
    const failure = await run(path.join(root, 'node_modules', '.bin', 'tsx'), [path.join(root, 'server', 'main.ts')], {
      cwd,
      env: { ...process.env, NODE_ENV: 'production', BETTER_AUTH_SECRET: '', DATABASE_URL: '' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(/BETTER_AUTH_SECRET is required when NODE_ENV=production/);
    expect(existsSync(path.join(cwd, 'data'))).toBe(false);
  });

  it('`npm start` with an in-memory database exits 1 and says to use a file path', { timeout: 60_000 }, async () => {
    const cwd = tempDir();
    const failure = await run(path.join(root, 'node_modules', '.bin', 'tsx'), [path.join(root, 'server', 'main.ts')], {
      cwd,
      env: {
        ...process.env,
        NODE_ENV: '',
        BETTER_AUTH_SECRET: '',
        TIDINGS_DATA_DIR: '',
        DATABASE_URL: 'file::memory:',
        PORT: '0',
      },
      // A server that starts anyway must not outlive the test.
      timeout: 50_000,
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(/DATABASE_URL="file::memory:" names an in-memory SQLite/);
    expect(existsSync(path.join(cwd, 'data'))).toBe(false);
  });
});
