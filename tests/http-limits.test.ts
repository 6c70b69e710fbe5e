import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, signUp, type TestUser } from './helpers/auth.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { createNotification } from './helpers/graphql.ts';
import { freePort, startServerProcess } from './helpers/processes.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { subscribe } from './helpers/sse.ts';

const KiB = 1024;

/** Sends headers (and a first part of the body) over a real socket and resolves with the answer's status. */
function sendHead(url: string, headers: Record<string, string | number>, firstPart: string) {
  return new Promise<number>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      req.destroy();
    });
    req.on('error', reject);
    // The body is never finished: only an answer that comes before it can settle this.
    req.write(firstPart);
  });
}

/**
 * Streams a chunked body (no Content-Length) of up to `cap` bytes, a chunk whenever the socket
 * takes one, until the server answers. Resolves with the status and how much the socket took.
 */
function sendChunked(url: string, cap: number, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; written: number }>((resolve, reject) => {
    let written = 0;
    let answered = false;
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      answered = true;
      resolve({ status: res.statusCode ?? 0, written });
      res.resume();
      req.destroy();
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const chunk = Buffer.alloc(64 * KiB, 'x');
    const pump = () => {
      while (!answered && written < cap) {
        written += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('request bodies', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.dispose());

  it('a declared Content-Length over the route limit is answered 413 at once, unread', async () => {
    const huge = { 'content-type': 'application/json', 'content-length': 200 * 1024 * KiB };
    expect(await sendHead(`${server.url}/api/auth/sign-in/email`, huge, '{"email":')).toBe(413);
    expect(await sendHead(`${server.url}/graphql`, huge, '{"query":')).toBe(413);
    // Just over each limit: auth 64 KiB, GraphQL 1 MiB, single-connection streams 256 KiB; routes that read no body take none.
    const over = (limit: number) => ({ 'content-type': 'application/json', 'content-length': limit + 1 });
    expect(await sendHead(`${server.url}/api/auth/sign-up/email`, over(64 * KiB), '{')).toBe(413);
    expect(await sendHead(`${server.url}/graphql`, over(1024 * KiB), '{')).toBe(413);
    expect(await sendHead(`${server.url}/graphql/stream`, over(256 * KiB), '{')).toBe(413);
    expect(await sendHead(`${server.url}/healthz`, over(0), '{')).toBe(413);
  });

  it('bodies within the limits are served as before', async () => {
    const alice = await signUp(server);
    const padding = 'x'.repeat(60 * KiB);
    const signIn = await fetch(`${server.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: alice.email, password: alice.password, padding }),
    });
    expect(signIn.status).toBe(200);
    const query = `mutation($input: CreateNotificationInput!) { createNotification(input: $input) { title } } # ${'x'.repeat(240 * KiB)}`;
    const created = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { ...alice.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables: { input: { title: 'big' } } }),
    });
    expect(await created.json()).toEqual({ data: { createNotification: { title: 'big' } } });
  });

  it('a chunked body is cut off at the limit with 413, and the rest is never read', async () => {
    const cap = 64 * 1024 * KiB;
    for (const route of ['/api/auth/sign-in/email', '/graphql']) {
      const { status, written } = await sendChunked(`${server.url}${route}`, cap);
      expect([route, status]).toEqual([route, 413]);
      // The socket took the limit and what the kernel buffers hold, not the 64 MB offered.
      expect(written).toBeLessThan(cap / 4);
    }
  });

  it('a chunked body within the limit is read whole and served, through Yoga and Better Auth', async () => {
    const alice = await signUp(server);
    const chunked = (route: string, body: string, headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${server.url}${route}`, { method: 'POST', headers }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        // Two writes before end: Node sends them chunked, with no Content-Length.
        req.write(body.slice(0, 10));
        req.end(body.slice(10));
      });
    const signIn = await chunked(
      '/api/auth/sign-in/email',
      JSON.stringify({ email: alice.email, password: alice.password }),
      { 'content-type': 'application/json' },
    );
    expect(signIn.status).toBe(200);
    const created = await chunked(
      '/graphql',
      JSON.stringify({ query: createNotification, variables: { input: { title: 'chunked' } } }),
      { ...alice.headers, 'content-type': 'application/json' },
    );
    expect(JSON.parse(created.body)).toMatchObject({ data: { createNotification: { title: 'chunked' } } });
  });
});

describe('cross-site requests with a session cookie', () => {
  let server: TestServer;
  let alice: TestUser;
  beforeAll(async () => {
    server = await startServer({ trustedOrigins: ['http://app.example'] });
    alice = await signUp(server);
  });
  afterAll(async () => server?.dispose());

  const mutation = 'mutation { createNotification(input: { title: "from a form" }) { id } }';
  const count = () => server.app.db.prisma.notification.count({ where: { recipientId: alice.id } });

  it('form, multipart and text bodies are refused with 415, and nothing is created', async () => {
    const before = await count();
    const form = new FormData();
    form.set('query', mutation);
    const bodies: [string, RequestInit][] = [
      ['urlencoded', { body: new URLSearchParams({ query: mutation }) }],
      ['multipart', { body: form }],
      ['text', { body: JSON.stringify({ query: mutation }), headers: { 'content-type': 'text/plain' } }],
      ['no type', { body: new Blob([JSON.stringify({ query: mutation })]) }],
    ];
    for (const [name, init] of bodies) {
      for (const route of ['/graphql', '/graphql/stream']) {
        const response = await fetch(`${server.url}${route}`, {
          ...init,
          method: 'POST',
          headers: { ...alice.headers, ...(init.headers as Record<string, string>) },
        });
        expect([name, route, response.status]).toEqual([name, route, 415]);
        await response.body?.cancel();
      }
    }
    expect(await count()).toBe(before);
  });

  it("the edge's 415 and 413 carry Yoga's CORS headers for a trusted Origin (a page can read why), none for others", async () => {
    const headersOf = (response: Response) =>
      ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-headers', 'vary'].map(
        (name) => [name, response.headers.get(name)],
      );
    const answered = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { ...alice.headers, origin: 'http://app.example', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    await answered.body?.cancel();
    expect(answered.headers.get('access-control-allow-origin')).toBe('http://app.example');
    const form = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { ...alice.headers, origin: 'http://app.example' },
      body: new URLSearchParams({ query: mutation }),
    });
    await form.body?.cancel();
    expect(form.status).toBe(415);
    expect(headersOf(form)).toEqual(headersOf(answered));
    const tooLargeFrom = async (origin: string) => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ __typename } # ${'x'.repeat(1100 * 1024)}` }),
      });
      await response.body?.cancel();
      return response;
    };
    const tooLarge = await tooLargeFrom('http://app.example');
    expect(tooLarge.status).toBe(413);
    expect(headersOf(tooLarge)).toEqual(headersOf(answered));
    const untrusted = await tooLargeFrom('https://evil.example');
    expect(untrusted.status).toBe(413);
    expect(untrusted.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('an untrusted Origin is refused with 403 on both paths; trusted ones and none pass', async () => {
    const post = (origin: string | undefined, contentType: string, body: string) =>
      fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { ...alice.headers, 'content-type': contentType, ...(origin ? { origin } : {}) },
        body,
      });
    const json = JSON.stringify({ query: mutation });
    const before = await count();
    // Both body types Yoga reads that need a preflight.
    for (const [type, body] of [
      ['application/json', json],
      ['application/graphql', mutation],
    ] as const) {
      for (const origin of ['https://evil.example', 'null', 'http://app.example.evil.example']) {
        const refused = await post(origin, type, body);
        expect([type, origin, refused.status]).toEqual([type, origin, 403]);
        await refused.body?.cancel();
      }
      for (const origin of ['http://app.example', undefined]) {
        const served = await post(origin, type, body);
        expect([type, origin, served.status]).toEqual([type, origin, 200]);
        await served.body?.cancel();
      }
    }
    expect(await count()).toBe(before + 4);
    const stream = await fetch(`${server.url}/graphql`, {
      headers: { ...alice.headers, origin: 'https://evil.example', accept: 'text/event-stream' },
    });
    expect(stream.status).toBe(403);
  });

  it('API-key requests are unaffected, whatever their body or origin', async () => {
    const key = await createApiKey(server, alice);
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { ...key, cookie: alice.headers.cookie as string, origin: 'https://service.example' },
      body: new URLSearchParams({ query: mutation }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ data: { createNotification: { id: expect.any(String) } } });
  });

  it('streams keep working: EventSource GETs and both graphql-sse modes, and preflights of trusted origins', async () => {
    for (const mode of ['distinct', 'single'] as const) {
      const stream = subscribe(server, alice.headers, mode);
      expect((await stream.next()).__typename).toBe('NotificationStreamReady');
      stream.dispose();
    }
    const got = await fetch(
      `${server.url}/graphql?query=${encodeURIComponent('subscription { notificationEvents { __typename } }')}`,
      {
        headers: { ...alice.headers, origin: 'http://app.example', accept: 'text/event-stream' },
      },
    );
    expect(got.status).toBe(200);
    await got.body?.cancel();
    const preflight = await fetch(`${server.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://app.example');
  });
});

describe('loopback origins', () => {
  it('outside production, localhost, 127.0.0.1 and [::1] on the listening port are trusted on /graphql', async () => {
    for (const production of [false, true]) {
      const server = await startServer({ production });
      try {
        const { port } = new URL(server.url);
        const alice = await signUp(server);
        for (const host of ['localhost', '127.0.0.1', '[::1]']) {
          const response = await fetch(`${server.url}/graphql`, {
            method: 'POST',
            headers: { ...alice.headers, 'content-type': 'application/json', origin: `http://${host}:${port}` },
            body: JSON.stringify({ query: '{ me { id } }' }),
          });
          expect([production, host, response.status]).toEqual([production, host, production ? 403 : 200]);
          await response.body?.cancel();
        }
      } finally {
        await server.dispose();
      }
    }
  });

  // Better Auth skips its origin check under NODE_ENV=test or TEST=true (vitest's): `tidings serve` runs as its
  // own process here, in development and in production, with the default BETTER_AUTH_URL.
  describe('sign-up through Better Auth, from http://127.0.0.1:<port>', () => {
    let database: TestDatabase;
    let dataDir: string;
    beforeAll(async () => {
      database = await createTestDatabase();
      dataDir = mkdtempSync(path.join(tmpdir(), 'tidings-origins-'));
    });
    afterAll(async () => {
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('works in development and is refused in production', async () => {
      for (const env of ['development', 'production']) {
        const port = await freePort();
        const server = await startServerProcess({
          NODE_ENV: env,
          // vitest's, which Better Auth also reads as "test"
          TEST: '',
          PORT: String(port),
          DATABASE_URL: database.url,
          TIDINGS_DATA_DIR: dataDir,
          BETTER_AUTH_SECRET: 'a-test-secret-that-is-at-least-32-characters',
          TIDINGS_WEB_DIR: 'off',
          BETTER_AUTH_URL: '',
          TIDINGS_TRUSTED_ORIGINS: '',
        });
        try {
          const signUpFrom = (origin: string) =>
            fetch(`${server.url}/api/auth/sign-up/email`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', origin },
              body: JSON.stringify({
                email: `${env}-${origin.length}-${Date.now()}@example.com`,
                password: 'correct horse battery',
                name: env,
              }),
            });
          const loopback = await signUpFrom(`http://127.0.0.1:${port}`);
          const text = await loopback.text();
          expect([env, loopback.status]).toEqual([env, env === 'production' ? 403 : 200]);
          if (env === 'production') expect(text).toMatch(/Invalid origin/i);
          // The configured origin (BETTER_AUTH_URL's default) is trusted in both.
          expect((await signUpFrom(`http://localhost:${port}`)).status).toBe(200);
        } finally {
          await server.stop();
        }
      }
      // Two server processes start one after the other: on a loaded machine, each takes seconds.
    }, 120_000);
  });
});
