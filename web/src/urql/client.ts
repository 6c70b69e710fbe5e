import { Client, type Exchange, fetchExchange } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { notificationCacheOptions } from './cache.ts';
import { createEventFeed, type EventFeed } from './event-feed.ts';

/**
 * A urql client with its own normalized cache and the feed that streams events into it.
 * `network` answers what the cache cannot (tests put their own answers there).
 */
export function createNotificationClient(
  url = '/graphql',
  network: Exchange = fetchExchange,
): { client: Client; feed: EventFeed } {
  const feed = createEventFeed();
  const client = new Client({
    url,
    fetchOptions: { credentials: 'same-origin' },
    exchanges: [cacheExchange(notificationCacheOptions()), feed.exchange, network],
  });
  return { client, feed };
}
