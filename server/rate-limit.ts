import { GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from './context.ts';
import type { Metrics } from './metrics.ts';

export interface RateLimits {
  /** Mutations per minute for a signed-in user. */
  perUser: number;
  /** Mutations per minute for an API key. */
  perApiKey: number;
}

/**
 * Token buckets, one per user session holder or API key, refilled continuously: a burst of up to a
 * minute's allowance, then the steady rate. Per process: with several instances each keeps its own.
 */
export function createRateLimiter() {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    /** Takes one token; when there is none, how many seconds until there is. */
    take(key: string, perMinute: number, now = Date.now()): { ok: true } | { ok: false; retryAfterSeconds: number } {
      const perMs = perMinute / 60_000;
      const bucket = buckets.get(key) ?? { tokens: perMinute, at: now };
      bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * perMs);
      bucket.at = now;
      if (bucket.tokens < 1) {
        buckets.set(key, bucket);
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
      }
      bucket.tokens -= 1;
      buckets.set(key, bucket);
      if (buckets.size > 10_000) sweep(now);
      return { ok: true };
    },
    /** Buckets held now (full ones are dropped as the map grows). */
    get size() {
      return buckets.size;
    },
  };

  function sweep(now: number) {
    for (const [key, bucket] of buckets) if (now - bucket.at > 60_000) buckets.delete(key);
  }
}

/** Refuses mutations beyond the viewer's allowance with RATE_LIMITED (HTTP 429 and Retry-After). */
export function useMutationRateLimit(limits: RateLimits, metrics: Metrics): Plugin<Context> {
  const limiter = createRateLimiter();
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const viewer = (args.contextValue as Context).viewer;
      if (!viewer) return;
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      const apiKey = viewer.credential.kind === 'apiKey';
      const taken = limiter.take(
        apiKey ? `key:${viewer.credential.id}` : `user:${viewer.userId}`,
        apiKey ? limits.perApiKey : limits.perUser,
      );
      if (taken.ok) return;
      metrics.rateLimited.inc();
      setResultAndStopExecution({
        errors: [
          new GraphQLError(`Too many mutations: try again in ${taken.retryAfterSeconds} s.`, {
            extensions: {
              code: 'RATE_LIMITED',
              retryAfterSeconds: taken.retryAfterSeconds,
              http: { status: 429, headers: { 'retry-after': String(taken.retryAfterSeconds) } },
            },
          }),
        ],
      });
    },
  };
}
