import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import { Provider as UrqlProvider } from 'urql';
import type { StreamEvent } from '../urql/cache.ts';
import { createNotificationClient } from '../urql/client.ts';
import { type OfflineStore, offlineStore } from '../urql/offline.ts';
import { graphqlSseTransport } from '../urql/sse.ts';
import { NotificationEventsSubscription } from './documents.ts';
import type { StreamTransport } from './stream.ts';
import { TabStream } from './tabs.ts';

interface NotificationsContext {
  stream: TabStream;
  /** Listens to every event this tab applies (for announcements and desktop notifications). */
  onEvent(listener: (event: StreamEvent) => void): () => void;
}

const Context = createContext<NotificationsContext | null>(null);

export interface NotificationsProviderProps {
  /** The signed-in user: tabs of the same user share one stream. */
  userId: string;
  children: ReactNode;
  /** Where the stream comes from; graphql-sse on this origin unless given. */
  transport?: StreamTransport;
  /** Keep the cache in IndexedDB for offline use (default: when the browser has IndexedDB). */
  offline?: boolean;
}

/**
 * Everything the notification hooks need for one signed-in user: a urql client with its own
 * graphcache, and the browser's one live stream feeding that cache. Mount it below sign-in and
 * key it by user, so signing in as someone else starts from an empty cache.
 */
export function NotificationsProvider({
  userId,
  children,
  transport,
  offline = typeof indexedDB !== 'undefined',
}: NotificationsProviderProps) {
  const [value] = useState(() => {
    const store: OfflineStore | undefined = offline ? offlineStore(userId) : undefined;
    const { client, feed, mutationsPending } = createNotificationClient(undefined, undefined, store);
    const listeners = new Set<(event: StreamEvent) => void>();
    const stream = new TabStream({
      key: userId,
      transport: transport ?? graphqlSseTransport(),
      onEvent: (event) => {
        feed.push(event);
        store?.setCursor(event.cursor, !mutationsPending());
        // The server answers again: what was queued while it did not goes now.
        if (event.__typename === 'NotificationStreamReady') store?.flush();
        for (const listener of listeners) listener(event);
      },
    });
    const onEvent = (listener: (event: StreamEvent) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    };
    return { client, hydrated: store?.hydrated ?? Promise.resolve(''), context: { stream, onEvent } };
  });

  useEffect(() => {
    const { client, context, hydrated } = value;
    // The feed answers this subscription; keeping it open keeps graphcache applying events.
    const feed = client.subscription(NotificationEventsSubscription, {}).subscribe(() => {});
    // The stream starts once the stored cache is back, after the cursor it was stored at.
    let stopped = false;
    void hydrated.then((cursor) => {
      if (!stopped) context.stream.start(cursor);
    });
    return () => {
      stopped = true;
      context.stream.stop();
      feed.unsubscribe();
    };
  }, [value]);

  return (
    <UrqlProvider value={value.client}>
      <Context.Provider value={value.context}>{children}</Context.Provider>
    </UrqlProvider>
  );
}

export function useNotificationsContext(): NotificationsContext {
  const context = useContext(Context);
  if (!context) throw new Error('Notification hooks need a <NotificationsProvider> above them.');
  return context;
}

/** Calls `listener` with every stream event this tab applies, while the component is mounted. */
export function useStreamEvents(listener: (event: StreamEvent) => void) {
  const { onEvent } = useNotificationsContext();
  useEffect(() => onEvent(listener), [onEvent, listener]);
}
