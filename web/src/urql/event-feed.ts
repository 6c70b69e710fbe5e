import { type Exchange, getOperationName, makeResult, type Operation } from '@urql/core';
import { filter, makeSubject, map, merge, mergeMap, pipe, share, takeUntil } from 'wonka';
import type { StreamEvent } from './cache.ts';

/** The name of the subscription whose results this feed answers. */
const feedOperation = 'NotificationEvents';

/**
 * Turns stream events that arrive from anywhere (this tab's SSE connection, or another tab over a
 * BroadcastChannel) into results of the `NotificationEvents` subscription, so they pass through
 * graphcache's updaters like any subscription result. Place it after `cacheExchange`.
 */
export function createEventFeed() {
  const events = makeSubject<StreamEvent>();

  const exchange: Exchange =
    ({ forward }) =>
    (operations$) => {
      const shared = pipe(operations$, share);
      const isFeed = (operation: Operation) =>
        operation.kind === 'subscription' && getOperationName(operation.query) === feedOperation;
      const teardown = (operation: Operation) =>
        pipe(
          shared,
          filter((other) => other.kind === 'teardown' && other.key === operation.key),
        );
      const fed = pipe(
        shared,
        filter(isFeed),
        mergeMap((operation) =>
          pipe(
            events.source,
            map((event) => makeResult(operation, { data: { notificationEvents: event } })),
            takeUntil(teardown(operation)),
          ),
        ),
      );
      const forwarded = forward(
        pipe(
          shared,
          filter((operation) => !isFeed(operation)),
        ),
      );
      return merge([fed, forwarded]);
    };

  return {
    exchange,
    /** Applies one event to the cache (through the subscription's updaters). */
    push: (event: StreamEvent) => events.next(event),
  };
}

export type EventFeed = ReturnType<typeof createEventFeed>;
