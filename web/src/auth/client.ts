import { createAuthClient } from 'better-auth/react';

/** Better Auth's browser client: same origin, so its session cookie rides along with every request. */
export const authClient = createAuthClient({ baseURL: globalThis.location?.origin });
