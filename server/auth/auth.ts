// server/auth owns who is calling: Better Auth (this module: sessions, API keys, admin, the
// sign-in limits of sign-in-limits.ts), the credential fast path held to Better Auth's rules by a
// contract test (credentials.ts), what keys and admins may do (scopes.ts), and single-connection
// stream tokens (stream-tokens.ts). It never imports http or schema, and never copies Better
// Auth's security logic: what it cannot ask Better Auth per request, the contract test pins.
import { apiKey } from '@better-auth/api-key';
import { betterAuth } from 'better-auth';
import { prismaAdapter } from 'better-auth/adapters/prisma';
import { APIError, createAuthMiddleware, getSessionFromCtx } from 'better-auth/api';
import { admin } from 'better-auth/plugins';
import { type Config, minPasswordLength } from '../config.ts';
import type { Logger } from '../log.ts';
import type { PrismaClient } from '../store/db.ts';
import { isBanned } from './credentials.ts';
import { type HookContext, signInLimits } from './sign-in-limits.ts';

/** The Better Auth instance: email + password sessions, an admin role, and API keys for services. */
export interface AuthHooks {
  /** A session was deleted (signed out or revoked): its streams should end now. */
  onSessionDeleted?: (sessionId: string) => void;
  /** An admin banned a user (the admin plugin has deleted their sessions): their streams should end now. */
  onUserBanned?: (userId: string) => void;
  /** The origins trusted now (the loopback ones follow the port listened on); the configured ones when absent. */
  trustedOrigins?: () => string[];
}

export function createAuth(config: Config, db: PrismaClient, log?: Logger, hooks: AuthHooks = {}) {
  const limits = signInLimits(config);
  return betterAuth({
    appName: 'Tidings',
    baseURL: config.publicUrl,
    basePath: '/api/auth',
    secret: config.authSecret,
    database: prismaAdapter(db, { provider: config.provider }),
    emailAndPassword: { enabled: true, minPasswordLength },
    trustedOrigins: hooks.trustedOrigins ?? config.trustedOrigins,
    ...limits.options,
    telemetry: { enabled: false },
    databaseHooks: {
      user: {
        update: {
          after: async (user) => {
            const { banned = null, banExpires = null } = user as { banned?: boolean | null; banExpires?: Date | null };
            if (isBanned({ banned, banExpires })) hooks.onUserBanned?.(user.id);
          },
        },
      },
      session: {
        delete: {
          after: async (session) => hooks.onSessionDeleted?.(session.id),
        },
      },
    },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path === '/api-key/create') await refuseKeyBeyondLimit(ctx, db, config.maxApiKeysPerUser);
        await limits.before(ctx);
      }),
      after: createAuthMiddleware(async (ctx) => {
        await limits.after(ctx);
      }),
    },
    logger: {
      // Only the message: Better Auth's extra arguments may hold request details. A refused API
      // key is an everyday answer (UNAUTHENTICATED), not a server error.
      log: (level, message) => {
        const quiet = message.startsWith('Failed to validate API key');
        if (!log) return;
        if (quiet || level === 'debug') log.debug(`better-auth: ${message}`);
        else if (level === 'error') log.error(`better-auth: ${message}`);
        else if (level === 'warn') log.warn(`better-auth: ${message}`);
        else log.info(`better-auth: ${message}`);
      },
    },
    plugins: [
      admin(),
      apiKey({
        defaultPrefix: 'tid_',
        // No `permissions.defaultPermissions`: a key a user makes through /api/auth/api-key/create
        // acts as that user only. Only the server side (`tidings api-key create`) can give a key
        // permissions (scopes.ts); the plugin refuses them in a client's request.
        // Services call often and steadily; per-key limits belong to Tidings' own rate limiter,
        // not to the plugin's default of 10 requests a day.
        rateLimit: { enabled: false },
      }),
    ],
  });
}

export type Auth = ReturnType<typeof createAuth>;

/**
 * A user may hold at most `max` API keys (TIDINGS_MAX_API_KEYS_PER_USER): checked when they ask
 * for one through /api/auth/api-key/create. Keys an operator makes on the server side (no request)
 * are not counted against it.
 */
async function refuseKeyBeyondLimit(ctx: HookContext, db: PrismaClient, max: number) {
  if (!ctx.request) return;
  const session = await getSessionFromCtx(ctx);
  if (!session) return; // the endpoint itself answers 401
  const held = await db.apikey.count({ where: { referenceId: session.user.id } });
  if (held >= max) {
    throw new APIError('FORBIDDEN', {
      message: `You already have ${held} API keys, the most one user may hold (${max}): delete one first.`,
      code: 'TOO_MANY_API_KEYS',
    });
  }
}
