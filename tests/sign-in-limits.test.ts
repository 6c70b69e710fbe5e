import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountLimit } from '../server/auth/sign-in-limits.ts';
import { startServer, type TestServer } from './helpers/server.ts';

// The test client is always 127.0.0.1. Clients at other addresses are simulated through a
// server that trusts 127.0.0.1 as its proxy, the way a deployment behind a load balancer does.
// Addresses are from TEST-NET-3 (203.0.113.0/24), a different block per test: Better Auth keeps
// its counts in one map for the whole process.

const password = 'correct horse battery';
let emails = 0;

/** An account made through Better Auth's API (not over HTTP, so no limit counts it). */
async function account(server: TestServer): Promise<string> {
  const email = `limits${++emails}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  await server.app.auth.api.signUpEmail({ body: { email, password, name: 'Limits' } });
  return email;
}

async function signIn(server: TestServer, email: string, secret: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ email, password: secret }),
  });
  await response.body?.cancel();
  return response.status;
}

const from = (address: string) => ({ 'x-forwarded-for': address });

describe('sign-in limits behind a trusted proxy', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ authRateLimit: true, trustedProxies: ['127.0.0.1'] });
  });
  afterAll(async () => server?.dispose());

  it('three wrong passwords from one address lock out that address only', async () => {
    const alice = await account(server);
    const bob = await account(server);
    // Sent together: Better Auth counts each before it answers any.
    const statuses = await Promise.all(
      [1, 2, 3, 4].map(() => signIn(server, alice, 'wrong password', from('203.0.113.1'))),
    );
    expect(statuses.sort()).toEqual([401, 401, 401, 429]);
    expect(await signIn(server, bob, password, from('203.0.113.2'))).toBe(200);
    expect(await signIn(server, alice, password, from('203.0.113.3'))).toBe(200);
  });

  it('one account cannot be tried more than its limit from many addresses; others are unaffected', async () => {
    const carol = await account(server);
    const dave = await account(server);
    for (let i = 0; i < accountLimit.attempts; i++) {
      expect(await signIn(server, carol, `wrong ${i}`, from(`203.0.113.${10 + i}`))).toBe(401);
    }
    // The limit is the account's: even its right password, from a fresh address, waits.
    expect(await signIn(server, carol, password, from('203.0.113.30'))).toBe(429);
    expect(await signIn(server, ` ${carol.toUpperCase()}`, 'wrong again', from('203.0.113.31'))).toBe(429);
    expect(await signIn(server, dave, password, from('203.0.113.32'))).toBe(200);
  });

  it('a successful sign-in forgets the failed attempts before it', async () => {
    const erin = await account(server);
    for (let i = 0; i < accountLimit.attempts - 1; i++) {
      expect(await signIn(server, erin, `wrong ${i}`, from(`203.0.113.${40 + i}`))).toBe(401);
    }
    expect(await signIn(server, erin, password, from('203.0.113.50'))).toBe(200);
    for (let i = 0; i < accountLimit.attempts; i++) {
      expect(await signIn(server, erin, `wrong ${i}`, from(`203.0.113.${60 + i}`))).toBe(401);
    }
  });

  it('reads the client from X-Forwarded-For through the trusted proxy only, never from a header of its own', async () => {
    const frank = await account(server);
    // A client behind the proxy sends a forged chain and our own header; the proxy appends the
    // address it saw (203.0.113.70), which is the one counted.
    const forged = (i: number) => ({
      'x-forwarded-for': `198.51.100.${i}, 203.0.113.70`,
      'x-tidings-client-address': `198.51.100.${i}`,
    });
    const statuses = await Promise.all([1, 2, 3, 4].map((i) => signIn(server, frank, 'wrong', forged(i))));
    expect(statuses.sort()).toEqual([401, 401, 401, 429]);
  });
});

describe('sign-in limits with no trusted proxy', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ authRateLimit: true });
  });
  afterAll(async () => server?.dispose());

  it('a rotating X-Forwarded-For (or our own header) does not escape the limit', async () => {
    const grace = await account(server);
    const statuses = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        signIn(server, grace, 'wrong', {
          'x-forwarded-for': `198.51.100.${i}`,
          'x-tidings-client-address': `198.51.100.${i}`,
        }),
      ),
    );
    expect(statuses.sort()).toEqual([401, 401, 401, 429]);
  });
});

describe('sign-in limits turned off (TIDINGS_AUTH_RATE_LIMIT=off)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ authRateLimit: false, trustedProxies: ['127.0.0.1'] });
  });
  afterAll(async () => server?.dispose());

  it('count nothing', async () => {
    const heidi = await account(server);
    for (let i = 0; i < accountLimit.attempts + 2; i++) {
      expect(await signIn(server, heidi, 'wrong', from('203.0.113.90'))).toBe(401);
    }
    expect(await signIn(server, heidi, password, from('203.0.113.90'))).toBe(200);
  });
});
