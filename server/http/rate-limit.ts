import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  getOperationAST,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Metrics } from '../metrics.ts';
import type { Context } from '../schema/context.ts';

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
    /**
     * Takes `count` tokens, all or none; when there are not enough, how many seconds until there
     * are (a request of more than a minute's allowance never fits: it is told to wait a minute).
     */
    take(
      key: string,
      perMinute: number,
      now = Date.now(),
      count = 1,
    ): { ok: true } | { ok: false; retryAfterSeconds: number } {
      const perMs = perMinute / 60_000;
      const bucket = buckets.get(key) ?? { tokens: perMinute, at: now };
      bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * perMs);
      bucket.at = now;
      if (bucket.tokens < count) {
        buckets.set(key, bucket);
        const missing = Math.min(count, perMinute) - bucket.tokens;
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(missing / perMs / 1000)) };
      }
      bucket.tokens -= count;
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

/**
 * Refuses mutations beyond the viewer's allowance with RATE_LIMITED (HTTP 429 and Retry-After).
 * The allowance counts work, not requests: each root field of a mutation takes a token, so fifteen
 * aliased createNotification fields cost fifteen. A request that does not fit runs none of them.
 */
export function useMutationRateLimit(limits: RateLimits, metrics: Metrics): Plugin<Context> {
  const limiter = createRateLimiter();
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const viewer = (args.contextValue as Context).viewer;
      if (!viewer) return;
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const apiKey = viewer.credential.kind === 'apiKey';
      const taken = limiter.take(
        apiKey ? `key:${viewer.credential.id}` : `user:${viewer.userId}`,
        apiKey ? limits.perApiKey : limits.perUser,
        Date.now(),
        rootFieldCount(operation.selectionSet, args.document),
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

/**
 * How many root fields a selection runs: each field once per alias, through inline fragments and
 * fragment spreads (each fragment counted once per spread; validation has refused cycles).
 * `__typename` does no work.
 */
export function rootFieldCount(selectionSet: SelectionSetNode, document: DocumentNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const count = (set: SelectionSetNode): number => {
    let fields = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value !== '__typename') fields++;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        fields += count(selection.selectionSet);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment) fields += count(fragment.selectionSet);
      }
    }
    return fields;
  };
  return Math.max(1, count(selectionSet));
}
