import { createSourceEventStream, type ExecutionArgs, type ExecutionResult, execute } from 'graphql';
import { isAsyncIterable, isPromise, mapAsyncIterator, type Plugin } from 'graphql-yoga';
import type { Context } from '../schema/context.ts';
import { invalidApiKey } from '../schema/context.ts';
import { unauthenticated } from '../schema/errors.ts';

/** A subscription result whose event had a position in the user's log. */
export type EventResult = ExecutionResult & { extensions?: { cursor?: string } & Record<string, unknown> };

/**
 * One event of a subscription executed against its document, with the event's own cursor as
 * `extensions.cursor` (whether or not the document selected it): the SSE writers make it the
 * `id:` a plain EventSource resumes from. Every writer's results come from here: the stream
 * endpoint's, and, through `useSubscriptions`, Yoga's and graphql-sse's.
 */
export function eventResult(args: ExecutionArgs, event: unknown): EventResult | Promise<EventResult> {
  const result = execute({ ...args, rootValue: event });
  const cursor = (event as { cursor?: unknown } | null)?.cursor;
  if (typeof cursor !== 'string') return result;
  const withCursor = (done: ExecutionResult): EventResult => ({
    ...done,
    extensions: { ...done.extensions, cursor },
  });
  return isPromise(result) ? result.then(withCursor) : withCursor(result);
}

/** graphql's `subscribe`, with each event's result made by `eventResult`. */
export async function subscribe(args: ExecutionArgs) {
  const events = await createSourceEventStream(args);
  if (!isAsyncIterable(events)) return events;
  return mapAsyncIterator(events as AsyncIterable<unknown>, (event) => eventResult(args, event));
}

/**
 * Yoga's subscriptions (distinct-connection ones it serves itself, and graphql-sse's): refused
 * before their stream opens without credentials (HTTP 401, where a query would answer its
 * UNAUTHENTICATED error in the result), and run by `subscribe` above.
 */
export function useSubscriptions(): Plugin<Context> {
  return {
    onSubscribe({ args, setSubscribeFn }) {
      const context = args.contextValue as Context;
      if (!context.viewer) throw context.apiKeyRefused ? invalidApiKey() : unauthenticated();
      setSubscribeFn(subscribe);
    },
  };
}
