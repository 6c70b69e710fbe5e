/**
 * What a caller may do beyond acting as itself. Every signed-in user and every API key may notify
 * its own user, read that user's data and open that user's stream; only these scopes reach
 * further. Admins (a session of a user whose role is admin) hold every scope. An API key holds
 * the scopes in its Better Auth `permissions` (`{ notify: ['any'], stats: ['read'] }`), which only
 * the server side can set: a key a user makes through `/api/auth/api-key/create` holds none.
 */
export const allScopes = ['notify:any', 'stats:read'] as const;

export type Scope = (typeof allScopes)[number];

/** An API key's permissions as Better Auth's API-key plugin stores them: resource → actions. */
export type Permissions = Record<string, string[]>;

/** The Better Auth permissions that grant `scopes`. */
export function permissionsOf(scopes: readonly Scope[]): Permissions {
  const permissions: Permissions = {};
  for (const scope of scopes) {
    const [resource, action] = scope.split(':') as [string, string];
    permissions[resource] = [...new Set([...(permissions[resource] ?? []), action])];
  }
  return permissions;
}

/** The scopes a key's permissions grant (unknown permissions grant nothing). */
export function scopesOf(permissions: Permissions | null | undefined): Scope[] {
  if (!permissions) return [];
  return allScopes.filter((scope) => {
    const [resource, action] = scope.split(':') as [string, string];
    return permissions[resource]?.includes(action) === true;
  });
}

/** Parses a comma-separated list such as `notify:any,stats:read`; `none` is the empty list. */
export function parseScopes(text: string): Scope[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 1 && names[0] === 'none') return [];
  if (names.length === 0) throw new Error(`name at least one of ${allScopes.join(', ')}, or none`);
  const unknown = names.filter((name) => !(allScopes as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(`unknown permission ${unknown.join(', ')}: use ${allScopes.join(', ')}, or none`);
  }
  return [...new Set(names as Scope[])];
}

/** The built-in user whose API keys operators make (`tidings api-key create` without --user); no one signs in as it. */
export const serviceUserEmail = 'service@tidings.local';
