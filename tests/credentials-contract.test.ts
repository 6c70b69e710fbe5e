import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CredentialChecker, type CredentialOwner, createCredentialChecker } from '../server/auth/credentials.ts';
import { permissionsOf } from '../server/auth/scopes.ts';
import { signUp, type TestUser } from './helpers/auth.ts';
import { startServer, type TestServer } from './helpers/server.ts';

// server/auth/credentials.ts answers "whose credential is this?" without Better Auth's machinery, for
// speed. It may only exist while it answers exactly as Better Auth does: every credential state
// goes through both, each through its own twin of the state (a check may change what it checks:
// Better Auth deletes an expired key, extends a session, counts a quota), and the answers must be
// the same.

let server: TestServer;
let checker: CredentialChecker;
let admin: TestUser;
beforeAll(async () => {
  server = await startServer();
  checker = createCredentialChecker({ auth: server.app.auth, db: server.app.db });
  admin = await signUp(server, { admin: true });
});
afterAll(async () => server?.dispose());

interface Answer {
  userId: string;
  credentialId: string;
  permissions: unknown;
}

async function ban(userId: string) {
  const response = await fetch(`${server.url}/api/auth/admin/ban-user`, {
    method: 'POST',
    headers: { ...admin.headers, 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ userId }),
  });
  expect(response.status).toBe(200);
}

describe('session cookies', () => {
  const settings = () => server.app.auth.$context;

  /** Signs a user up and returns their session cookie, after `change` has done its part. */
  type SessionState = (user: TestUser, sessionId: string) => Promise<string | undefined>;

  const states: [string, SessionState][] = [
    ['valid', async () => undefined],
    [
      'expired',
      async (_user, id) => {
        await server.app.db.prisma.session.update({
          where: { id },
          data: { expiresAt: new Date(Date.now() - 60_000) },
        });
        return undefined;
      },
    ],
    [
      'in its refresh window',
      async (_user, id) => {
        const { expiresIn, updateAge } = (await settings()).sessionConfig;
        const expiresAt = new Date(Date.now() + (expiresIn - updateAge - 60) * 1000);
        await server.app.db.prisma.session.update({ where: { id }, data: { expiresAt } });
        return undefined;
      },
    ],
    [
      'signed out',
      async (user) => {
        const response = await fetch(`${server.url}/api/auth/sign-out`, {
          method: 'POST',
          headers: { ...user.headers, 'content-type': 'application/json', origin: server.url },
          body: '{}',
        });
        expect(response.status).toBe(200);
        return undefined;
      },
    ],
    [
      'of a banned user',
      async (user) => {
        await ban(user.id);
        return undefined;
      },
    ],
    [
      'tampered (the token changed, the signature kept)',
      async (user) => {
        const [name, value] = splitCookie(user.headers.cookie ?? '');
        const [token, signature] = value.split('.');
        return `${name}=${encodeURIComponent(`${flip(token ?? '')}.${signature}`)}`;
      },
    ],
    [
      'signed with another secret',
      async (user) => {
        const [name, value] = splitCookie(user.headers.cookie ?? '');
        const token = value.split('.')[0] ?? '';
        const forged = createHmac('sha256', 'another-secret-that-is-at-least-32-chars').update(token).digest('base64');
        return `${name}=${encodeURIComponent(`${token}.${forged}`)}`;
      },
    ],
    [
      'garbage',
      async (user) => {
        const [name] = splitCookie(user.headers.cookie ?? '');
        return `${name}=%E0%A4%A`;
      },
    ],
  ];

  async function make(state: SessionState): Promise<Headers> {
    const user = await signUp(server);
    const token = decodeURIComponent(splitCookie(user.headers.cookie ?? '')[1]).split('.')[0];
    const session = await server.app.db.prisma.session.findFirstOrThrow({ where: { token } });
    const cookie = (await state(user, session.id)) ?? user.headers.cookie ?? '';
    return new Headers({ cookie });
  }

  it.each(states)('%s: the fast path answers as auth.api.getSession', async (_name, state) => {
    const fast = await checker.session(await make(state));
    const session = await server.app.auth.api.getSession({ headers: await make(state) });
    const reference: Answer | null = session
      ? { userId: session.user.id, credentialId: session.session.id, permissions: null }
      : null;
    const answer = answerOf(fast);
    // Twins have their own users and sessions: compare the shape and the verdict.
    expect(answer === null).toBe(reference === null);
    if (answer && reference) {
      expect(answer.permissions).toEqual(reference.permissions);
      expect(await ownerOfSession(answer.credentialId)).toBe(answer.userId);
    }
  });

  it('without a cookie both answer nobody', async () => {
    expect(await checker.session(new Headers())).toBeNull();
    expect(await server.app.auth.api.getSession({ headers: new Headers() })).toBeNull();
  });

  it('a valid cookie is the same user and session in both', async () => {
    const user = await signUp(server);
    const headers = new Headers(user.headers);
    const fast = await checker.session(headers);
    const session = await server.app.auth.api.getSession({ headers });
    expect(fast).toMatchObject({ userId: session?.user.id, credential: { kind: 'session', id: session?.session.id } });
  });
});

describe('API keys', () => {
  type KeyState = (key: { id: string; key: string }, owner: TestUser) => Promise<string | undefined>;
  const withPermissions = { permissions: permissionsOf(['notify:any']) };

  const states: [string, Record<string, unknown>, KeyState][] = [
    ['valid', {}, async () => undefined],
    ['valid, with permissions', withPermissions, async () => undefined],
    [
      'disabled',
      {},
      async ({ id }) => {
        await server.app.db.prisma.apikey.update({ where: { id }, data: { enabled: false } });
        return undefined;
      },
    ],
    [
      'expired',
      {},
      async ({ id }) => {
        await server.app.db.prisma.apikey.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 60_000) } });
        return undefined;
      },
    ],
    ['with a quota left', { remaining: 3 }, async () => undefined],
    ['with its quota used up', { remaining: 0 }, async () => undefined],
    [
      'deleted',
      {},
      async ({ id }) => {
        await server.app.db.prisma.apikey.delete({ where: { id } });
        return undefined;
      },
    ],
    ['with a wrong secret', {}, async ({ key }) => flip(key)],
    [
      'of a banned user',
      withPermissions,
      async (_key, owner) => {
        await ban(owner.id);
        return undefined;
      },
    ],
    [
      'of a user whose ban has run out',
      {},
      async (_key, owner) => {
        await ban(owner.id);
        await server.app.db.prisma.user.update({
          where: { id: owner.id },
          data: { banExpires: new Date(Date.now() - 1000) },
        });
        return undefined;
      },
    ],
  ];

  async function make(body: Record<string, unknown>, state: KeyState): Promise<string> {
    const owner = await signUp(server);
    const created = await server.app.auth.api.createApiKey({ body: { name: 'contract', userId: owner.id, ...body } });
    return (await state(created, owner)) ?? created.key;
  }

  /**
   * Better Auth's answer: `verifyApiKey`, and whether the admin plugin lets the owner in, asked of
   * the plugin itself (it refuses to create a session for a banned user; a ban that ran out it lifts).
   */
  async function betterAuthAnswer(key: string): Promise<Answer | null> {
    const verified = await server.app.auth.api.verifyApiKey({ body: { key } });
    if (!verified.valid || !verified.key) return null;
    const { internalAdapter } = await server.app.auth.$context;
    const session = await internalAdapter.createSession(verified.key.referenceId).catch(() => null);
    if (!session) return null;
    await server.app.db.prisma.session.delete({ where: { id: session.id } });
    return { userId: verified.key.referenceId, credentialId: verified.key.id, permissions: verified.key.permissions };
  }

  it.each(states)('%s: the fast path answers as auth.api.verifyApiKey', async (_name, body, state) => {
    const fastKey = await make(body, state);
    const fast = await checker.apiKey(fastKey);
    const reference = await betterAuthAnswer(await make(body, state));
    const answer = answerOf(fast);
    expect(answer === null).toBe(reference === null);
    if (answer && reference) {
      expect(answer.permissions).toEqual(reference.permissions);
      const row = await server.app.db.prisma.apikey.findUniqueOrThrow({ where: { id: answer.credentialId } });
      expect(row.referenceId).toBe(answer.userId);
    }
  });

  it('a valid key is the same owner, key and permissions in both', async () => {
    const key = await make(withPermissions, async () => undefined);
    const fast = await checker.apiKey(key);
    const reference = await betterAuthAnswer(key);
    expect(reference).not.toBeNull();
    expect({ userId: fast?.userId, credentialId: fast?.credential.id, permissions: fast?.permissions }).toEqual(
      reference,
    );
  });

  it('a quota is counted once per use, by Better Auth', async () => {
    const key = await make({ remaining: 2 }, async () => undefined);
    expect(await checker.apiKey(key)).not.toBeNull();
    expect(await checker.apiKey(key)).not.toBeNull();
    expect(await checker.apiKey(key)).toBeNull();
  });
});

function answerOf(owner: CredentialOwner | null): Answer | null {
  return owner ? { userId: owner.userId, credentialId: owner.credential.id, permissions: owner.permissions } : null;
}

async function ownerOfSession(id: string) {
  return (await server.app.db.prisma.session.findUniqueOrThrow({ where: { id } })).userId;
}

function splitCookie(cookie: string): [string, string] {
  const pair = cookie.split(';').find((part) => part.includes('session_token=')) ?? '';
  const at = pair.indexOf('=');
  return [pair.slice(0, at).trim(), decodeURIComponent(pair.slice(at + 1))];
}

/** The same string with its middle character changed. */
function flip(text: string): string {
  const at = Math.floor(text.length / 2);
  const changed = text[at] === 'a' ? 'b' : 'a';
  return `${text.slice(0, at)}${changed}${text.slice(at + 1)}`;
}
