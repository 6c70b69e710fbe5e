import { apiKey } from '@better-auth/api-key';
import { betterAuth } from 'better-auth';
import { prismaAdapter } from 'better-auth/adapters/prisma';
import { admin } from 'better-auth/plugins';
import type { Config } from './config.ts';
import type { Db } from './db.ts';
import type { Logger } from './log.ts';
import { signInLimits } from './sign-in-limits.ts';

/** The Better Auth instance: email + password sessions, an admin role, and API keys for services. */
export interface AuthHooks {
  /** A session was deleted (signed out or revoked): its streams should end now. */
  onSessionDeleted?: (sessionId: string) => void;
  /** The origins trusted now (the loopback ones follow the port listened on); the configured ones when absent. */
  trustedOrigins?: () => string[];
}

export function createAuth(config: Config, db: Db, log?: Logger, hooks: AuthHooks = {}) {
  return betterAuth({
    appName: 'Tidings',
    baseURL: config.publicUrl,
    basePath: '/api/auth',
    secret: config.authSecret,
    database: prismaAdapter(db, { provider: config.provider }),
    emailAndPassword: { enabled: true, minPasswordLength: 8 },
    trustedOrigins: hooks.trustedOrigins ?? config.trustedOrigins,
    ...signInLimits(config),
    telemetry: { enabled: false },
    databaseHooks: {
      session: {
        delete: {
          after: async (session) => hooks.onSessionDeleted?.(session.id),
        },
      },
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
        // Services call often and steadily; per-key limits belong to Tidings' own rate limiter,
        // not to the plugin's default of 10 requests a day.
        rateLimit: { enabled: false },
      }),
    ],
  });
}

export type Auth = ReturnType<typeof createAuth>;
