import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteFile } from '../server/store/db.ts';
import { createApiKey, signUp } from './helpers/auth.ts';
import { provider } from './helpers/database.ts';
import { codes, gql, notify } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { subscribe } from './helpers/sse.ts';

describe('the built web client at /', () => {
  let server: TestServer;
  let webDir: string;
  beforeAll(async () => {
    webDir = mkdtempSync(path.join(tmpdir(), 'tidings-web-'));
    mkdirSync(path.join(webDir, 'assets'));
    writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>Tidings</title>');
    writeFileSync(path.join(webDir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(path.join(webDir, 'sw.js'), "self.addEventListener('fetch', () => {})");
    writeFileSync(path.join(webDir, 'chime.wav'), 'RIFF');
    server = await startServer({ webDir });
  });
  afterAll(async () => {
    await server?.dispose();
    rmSync(webDir, { recursive: true, force: true });
  });

  it('serves index.html at / without caching it, and hashed assets for a year', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(await page.text()).toContain('<title>Tidings</title>');

    const asset = await fetch(`${server.url}/assets/index-abc123.js`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const again = await fetch(`${server.url}/assets/index-abc123.js`, {
      headers: { 'if-none-match': asset.headers.get('etag') ?? '' },
    });
    expect(again.status).toBe(304);
  });

  it('serves the service worker at /sw.js as JavaScript for all of /, revalidated on every visit; the chime as audio', async () => {
    const worker = await fetch(`${server.url}/sw.js`);
    expect(worker.status).toBe(200);
    expect(worker.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(worker.headers.get('cache-control')).toBe('no-cache');
    expect(worker.headers.get('service-worker-allowed')).toBe('/');
    const chime = await fetch(`${server.url}/chime.wav`);
    expect(chime.headers.get('content-type')).toBe('audio/wav');
    expect(chime.headers.get('cache-control')).toBe('no-cache');
    expect(chime.headers.get('service-worker-allowed')).toBeNull();
  });

  it('answers page navigations with index.html, but a missing file with 404', async () => {
    const navigation = await fetch(`${server.url}/settings`, { headers: { accept: 'text/html' } });
    expect(await navigation.text()).toContain('<title>Tidings</title>');
    expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404);
  });

  it('keeps GraphiQL, auth and health where they were', async () => {
    const graphiql = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await graphiql.text()).toContain('<title>Tidings GraphiQL</title>');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/api/auth/get-session`)).status).toBe(200);
  });
});

describe('the HTTP surface', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.dispose());

  it('/healthz answers while the process runs; /readyz checks the database', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'ok' });
  });

  it('serves GraphiQL at /graphql to a browser, with its assets inline (no CDN)', async () => {
    const response = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<title>Tidings GraphiQL</title>');
    expect(html).not.toMatch(/unpkg\.com|jsdelivr|esm\.sh/);
    expect(html).toContain('x-api-key');
  });

  it('sends / to GraphiQL when no web client is built', async () => {
    const response = await fetch(`${server.url}/`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${server.url}/graphql`);
  });

  it('allows cross-origin requests only from trusted origins', async () => {
    const allowed = new URL(server.config.publicUrl).origin;
    const preflight = (origin: string) =>
      fetch(`${server.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const trusted = await preflight(allowed);
    expect(trusted.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(trusted.headers.get('access-control-allow-credentials')).toBe('true');
    const stranger = await preflight('https://evil.example');
    expect(stranger.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
  });

  it('logs stream opens and closes as structured lines, and never a secret', async () => {
    const alice = await signUp(server);
    const key = await createApiKey(server, alice);
    const stream = subscribe(server, alice.headers);
    await stream.next();
    await notify(server, key, { title: 'hello' });
    await stream.waitFor((event) => event.__typename === 'NotificationCreated');
    stream.dispose();
    await expect
      .poll(() => server.logs.some((line) => line.msg === 'stream closed' && line.userId === alice.id))
      .toBe(true);

    const opened = server.logs.find((line) => line.msg === 'stream opened' && line.userId === alice.id);
    expect(opened).toMatchObject({ userStreams: 1, totalStreams: expect.any(Number) });
    const everything = JSON.stringify(server.logs);
    const sessionToken = decodeURIComponent(alice.headers.cookie?.split('=')[1] ?? '').split('.')[0];
    expect(sessionToken?.length).toBeGreaterThan(10);
    for (const secret of [alice.password, sessionToken, key['x-api-key'], server.config.authSecret]) {
      expect(everything).not.toContain(secret);
    }
  });
});

describe('unexpected errors', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.dispose());

  it('are masked: no SQL, table names or stack traces reach the client, but the log has them', async () => {
    const alice = await signUp(server);
    await notify(server, alice.headers, { title: 'before the table is gone' });
    await dropNotificationTable(server.config.databaseUrl);

    const result = await gql(server, '{ notifications { edges { node { id } } } }', {}, alice.headers);
    expect(codes(result)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(result.errors?.[0]?.message).toBe('Unexpected error.');
    expect(JSON.stringify(result)).not.toMatch(/notification"|SELECT|prisma|at .*\.ts/i);
    expect(server.logs.some((line) => line.level === 'error')).toBe(true);

    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200); // the database itself still answers
  });
});

async function dropNotificationTable(databaseUrl: string) {
  if (provider === 'sqlite') {
    const db = new Database(sqliteFile(databaseUrl));
    db.exec('DROP TABLE notification');
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('DROP TABLE notification');
  await client.end();
}
