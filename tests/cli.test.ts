import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieOf, signUp } from './helpers/auth.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { gql } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { subscribe } from './helpers/sse.ts';

const root = path.join(import.meta.dirname, '..');
const bin = path.join(root, 'server', 'bin', 'tidings.js');
const execute = promisify(execFile);

let database: TestDatabase;
let dataDir: string;
const env = () => ({
  ...process.env,
  DATABASE_URL: database.url,
  TIDINGS_DATA_DIR: dataDir,
  BETTER_AUTH_SECRET: 'a-test-secret-that-is-at-least-32-characters',
  TIDINGS_URL: 'http://127.0.0.1:1',
  LOG_LEVEL: 'warn',
});

/** Runs `tidings …` as a user would (through the package's bin), and never throws. */
async function tidings(...args: string[]) {
  try {
    const { stdout, stderr } = await execute(process.execPath, [bin, ...args], { cwd: dataDir, env: env() });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = mkdtempSync(path.join(tmpdir(), 'tidings-cli-'));
});
afterAll(async () => {
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

// Every call starts a Node process that compiles the CLI with tsx: seconds each on a busy machine.
const processes = { timeout: 60_000 };

describe('npx tidings', processes, () => {
  it('prints usage and exits 2 on a missing or unknown command or a bad flag', async () => {
    for (const args of [
      [],
      ['frobnicate'],
      ['user', 'delete'],
      ['user', 'create', '--email', 'a@b.c'],
      ['notify', '--to'],
    ]) {
      const result = await tidings(...args);
      expect(result.code, `tidings ${args.join(' ')}`).toBe(2);
      expect(result.stderr).toContain('Usage: tidings <command>');
    }
    // What is missing is said in words, not only by the usage text.
    expect((await tidings('user')).stderr).toContain('tidings: user needs a subcommand: create.');
    expect((await tidings('api-key')).stderr).toContain('tidings: api-key needs a subcommand: create.');
    expect((await tidings('user', 'delete')).stderr).toContain(
      'Unknown command "user delete": user has one subcommand, create.',
    );
    const help = await tidings('help');
    expect(help).toMatchObject({ code: 0 });
    expect(help.stdout).toContain('api-key create --name N');
  });

  it('migrate applies the migrations once', async () => {
    const first = await tidings('migrate');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Applied|Up to date/);
    const again = await tidings('migrate');
    expect(again.stdout).toMatch(/^Up to date \(\d+ migrations?\)\.$/m);
  });

  it('notify refuses bad input and unknown recipients', async () => {
    const badUrl = await tidings('notify', '--to', 'ada@example.com', '--title', 'x', '--url', 'ftp://example.com');
    expect(badUrl).toMatchObject({ code: 1 });
    expect(badUrl.stderr).toMatch(/url: must be an absolute http/);
    const nobody = await tidings('notify', '--to', 'nobody@example.com', '--title', 'x');
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/No user with email "nobody@example.com"/);
  });
});

describe('npx tidings against a running server', processes, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ databaseUrl: database.url });
  });
  afterAll(async () => server?.dispose());

  it('user create makes a user who can sign in; a duplicate email or weak password exits 1 with the reason', async () => {
    const ada = ['--email', 'ada@example.com', '--password', 'analytical engine', '--name', 'Ada'];
    const created = await tidings('user', 'create', ...ada, '--admin');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/Created admin ada@example.com with id \S+/);

    const signIn = await fetch(`${server.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ada@example.com', password: 'analytical engine' }),
    });
    expect(signIn.status).toBe(200);
    const me = await gql(server, '{ me { email role } }', {}, { cookie: cookieOf(signIn) });
    expect(me.data?.me).toEqual({ email: 'ada@example.com', role: 'admin' });

    const duplicate = await tidings('user', 'create', ...ada);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/already exists/i);
    const weak = await tidings(
      'user',
      'create',
      '--email',
      'weak@example.com',
      '--password',
      'short',
      '--name',
      'Weak',
    );
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('--password must be at least 8 characters long.');
  });

  it('api-key create prints the key alone on its last line, and the key works', async () => {
    const result = await tidings('api-key', 'create', '--name', 'billing');
    expect(result.code).toBe(0);
    const key = result.stdout.trimEnd().split('\n').at(-1) ?? '';
    expect(key).toMatch(/^tid_\S{40,}$/);
    const me = await gql(
      server,
      '{ me { email } notificationStreamStats { totalConnections } }',
      {},
      { 'x-api-key': key },
    );
    expect(me.errors).toBeUndefined();
    expect(me.data?.me.email).toBe('service@tidings.local');
    expect(result.stdout).toContain('Permissions: notify:any, stats:read');
  });

  it('api-key create --permissions gives a key only the permissions named, and refuses unknown ones', async () => {
    const result = await tidings('api-key', 'create', '--name', 'reader', '--permissions', 'stats:read');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Permissions: stats:read');
    const key = { 'x-api-key': result.stdout.trimEnd().split('\n').at(-1) ?? '' };
    expect((await gql(server, '{ notificationStreamStats { totalConnections } }', {}, key)).errors).toBeUndefined();
    const alice = await signUp(server);
    const refused = await gql(
      server,
      'mutation($id: ID!) { createNotification(input: { recipientId: $id, title: "x" }) { id } }',
      { id: alice.id },
      key,
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const plain = await tidings('api-key', 'create', '--name', 'plain', '--permissions', 'none');
    expect(plain.stdout).toContain('Permissions: none');
    const bad = await tidings('api-key', 'create', '--name', 'x', '--permissions', 'notify:all');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--permissions: unknown permission notify:all: use notify:any, stats:read, or none.');
  });

  it('notify goes through the running server, so an open stream sees it at once', async () => {
    const alice = await signUp(server);
    const stream = subscribe(server, alice.headers);
    await stream.next();
    const { stdout, code } = await execute(
      process.execPath,
      [
        bin,
        'notify',
        '--to',
        alice.email,
        '--title',
        'Deploy done',
        '--body',
        'v1.2 is live',
        '--url',
        'https://example.com',
      ],
      { cwd: dataDir, env: { ...env(), TIDINGS_URL: server.url } },
    ).then((out) => ({ ...out, code: 0 }));
    expect(code).toBe(0);
    expect(stdout).toContain(`through ${server.url}`);
    expect(await stream.waitFor((event) => event.__typename === 'NotificationCreated')).toMatchObject({
      notification: { title: 'Deploy done' },
    });
    stream.dispose();
    // The one-use key it made for this is gone.
    expect(await server.app.db.prisma.apikey.count({ where: { name: 'tidings notify (one use)' } })).toBe(0);
  });

  it('notify with no server answering stores the notification in the database', async () => {
    const bob = await signUp(server);
    const result = await tidings('notify', '--to', bob.id, '--title', 'While you were away');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Stored notification \S+ for .* \(no server answered/);
    const list = await gql(
      server,
      '{ notifications { edges { node { title } } } unreadNotificationCount }',
      {},
      bob.headers,
    );
    expect(list.data).toEqual({
      notifications: { edges: [{ node: { title: 'While you were away' } }] },
      unreadNotificationCount: 1,
    });
  });
});

describe('tidings serve', processes, () => {
  it('starts on PORT, serves streams, and on SIGTERM completes them and exits 0', async () => {
    const key = (await tidings('api-key', 'create', '--name', 'serve-test')).stdout.trimEnd().split('\n').at(-1) ?? '';
    const child = spawn(process.execPath, [bin, 'serve'], {
      cwd: dataDir,
      env: { ...env(), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk;
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk;
        const match = out.match(/"msg":"listening","url":"([^"]+)"/);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // One line for a person, with the address to open; stdout stays JSON lines.
    await expect.poll(() => errors).toContain(`Tidings is running: open ${url}`);

    // A second server on the same port says what to do.
    const second = await execute(process.execPath, [bin, 'serve'], {
      cwd: dataDir,
      env: { ...env(), PORT: new URL(url).port, HOST: '127.0.0.1' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(second).toMatchObject({ code: 1 });
    expect((second as { stderr: string }).stderr).toContain(
      `tidings: port ${new URL(url).port} on 127.0.0.1 is already in use. Stop what holds it, or set PORT to another port`,
    );

    const query = encodeURIComponent('subscription { notificationEvents { __typename } }');
    const stream = await fetch(`${url}/graphql?query=${query}`, {
      headers: { accept: 'text/event-stream', 'x-api-key': key },
    });
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('NotificationStreamReady')) text += new TextDecoder().decode((await reader.read()).value);

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    // The stream is completed, not cut: the client sees the end and may reconnect elsewhere.
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      text += new TextDecoder().decode(chunk.value);
    expect(text).toContain('event: complete');
    expect(await exited).toBe(0);
  });
});
