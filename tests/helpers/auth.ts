import { allScopes, permissionsOf, type Scope } from '../../server/auth/scopes.ts';
import type { TestServer } from './server.ts';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  /** Headers that authenticate as this user: the session cookie Better Auth set at sign-up. */
  headers: Record<string, string>;
}

let counter = 0;

/** Signs a new user up through the real /api/auth handler and keeps the session cookie. */
export async function signUp(server: TestServer, options: { admin?: boolean; name?: string } = {}): Promise<TestUser> {
  counter++;
  const email = `user${counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const password = 'correct horse battery';
  const response = await fetch(`${server.url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, name: options.name ?? `User ${counter}` }),
  });
  if (!response.ok) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
  const { user } = (await response.json()) as { user: { id: string } };
  if (options.admin) await server.app.db.prisma.user.update({ where: { id: user.id }, data: { role: 'admin' } });
  return { id: user.id, email, password, headers: { cookie: cookieOf(response) } };
}

/** The `name=value` pairs of a response's Set-Cookie headers, as one Cookie header. */
export function cookieOf(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
}

/**
 * An API key belonging to `user`, made on the server side as `tidings api-key create` makes it:
 * with every permission unless `scopes` says otherwise.
 */
export async function createApiKey(
  server: TestServer,
  user: { id: string },
  scopes: readonly Scope[] = allScopes,
): Promise<Record<string, string>> {
  const created = await server.app.auth.api.createApiKey({
    body: { name: 'test key', userId: user.id, ...(scopes.length ? { permissions: permissionsOf(scopes) } : {}) },
  });
  return { 'x-api-key': created.key };
}

/** An API key `user` makes for themselves through Better Auth's endpoint, as a browser would. */
export async function createOwnApiKey(server: TestServer, user: TestUser, body: Record<string, unknown> = {}) {
  const response = await fetch(`${server.url}/api/auth/api-key/create`, {
    method: 'POST',
    headers: {
      ...user.headers,
      'content-type': 'application/json',
      origin: new URL(server.config.publicUrl).origin,
    },
    body: JSON.stringify({ name: 'my key', ...body }),
  });
  const json = (await response.json()) as { key?: string; id?: string; code?: string; message?: string };
  return { status: response.status, ...json, headers: { 'x-api-key': json.key ?? '' } };
}
