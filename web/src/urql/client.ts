import { Client, type Exchange, fetchExchange } from '@urql/core';
import { cacheExchange, offlineExchange } from '@urql/exchange-graphcache';
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
): { client: Client; feed: EventFeed } {
  const feed = createEventFeed();
  const options = notificationCacheOptions();
  const cache = offline ? offlineExchange({ ...options, storage: offline.storage }) : cacheExchange(options);
  const client = new Client({
    url,
    fetchOptions: { credentials: 'same-origin' },
    exchanges: [cache, feed.exchange, network],
  });
  return { client, feed };
}
