import { Client, type CombinedError, type Exchange, fetchExchange } from '@urql/core';
import { cacheExchange, offlineExchange } from '@urql/exchange-graphcache';
import { pipe, tap } from 'wonka';
import { notificationCacheOptions } from './cache.ts';
import { createEventFeed, type EventFeed } from './event-feed.ts';
import type { OfflineStore } from './offline.ts';

/**
 * A urql client with its own normalized cache and the feed that streams events into it.
 * `network` answers what the cache cannot (tests put their own answers there). With `offline`,
 * the cache is kept in IndexedDB and graphcache's offlineExchange answers from it without a
 * network, and queues the mutations that have an optimistic answer (read, archive, delete…) until
 * the network is back.
 */
export function createNotificationClient(
  url = '/graphql',
  network: Exchange = fetchExchange,
  offline?: OfflineStore,
): { client: Client; feed: EventFeed; mutationsPending: () => boolean } {
  const feed = createEventFeed();
  const inFlight = new Set<number>();
  /** Counts the mutations sent and not answered yet (queued offline ones included): while one is, an optimistic layer exists. */
  const mutations: Exchange =
    ({ forward }) =>
    (operations$) =>
      pipe(
        operations$,
        tap((operation) => {
          if (operation.kind === 'mutation') inFlight.add(operation.key);
          else if (operation.kind === 'teardown') inFlight.delete(operation.key);
        }),
        forward,
        tap((result) => {
          if (result.operation.kind === 'mutation') inFlight.delete(result.operation.key);
        }),
      );
  const options = notificationCacheOptions();
  const cache = offline
    ? offlineExchange({ ...options, storage: offline.storage, isOfflineError: browserOffline })
    : cacheExchange(options);
  const client = new Client({
    url,
    fetchOptions: { credentials: 'same-origin' },
    exchanges: [mutations, cache, feed.exchange, network],
  });
  return { client, feed, mutationsPending: () => inFlight.size > 0 };
}

/**
 * Offline is the browser's word: without a network, reads come from the stored cache and changes
 * wait. A server that does not answer while the network is up is an error the user is told of (the
 * change is rolled back), not a queue that might never drain.
 */
function browserOffline(error: CombinedError | undefined): boolean {
  return error?.networkError !== undefined && error.response === undefined && globalThis.navigator?.onLine === false;
}
