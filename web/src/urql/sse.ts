import { formatDocument, stringifyDocument } from '@urql/core';
import { createClient, NetworkError } from 'graphql-sse';
import { NotificationEventsSubscription } from '../notifications/documents.ts';
import { type StreamTransport, UnauthenticatedError } from '../notifications/stream.ts';

/** Where the server takes GraphQL over SSE in distinct-connection mode (one request per stream, each event with its cursor as SSE id). */
export const streamPath = '/graphql';

/**
 * The `notificationEvents` subscription over graphql-sse, for NotificationStream. graphql-sse's
 * own retries are off: NotificationStream owns the reconnect schedule and the resume cursor.
 */
export function graphqlSseTransport(url: string = new URL(streamPath, location.href).href): StreamTransport {
  const client = createClient({
    url,
    singleConnection: false,
    retryAttempts: 0,
    credentials: 'same-origin',
    // A function: graphql-sse writes into the object it is given.
    headers: () => ({}),
  });
  // With __typename on every selection, as urql sends its own operations: graphcache needs it to
  // normalize the notifications inside events.
  const query = stringifyDocument(formatDocument(NotificationEventsSubscription));

  return (cursor, sink) =>
    client.subscribe(
      { query, variables: { after: cursor } },
      {
        next(result) {
          const event = (result.data as { notificationEvents?: unknown } | null | undefined)?.notificationEvents;
          if (event) {
            sink.next(event as Parameters<typeof sink.next>[0]);
            return;
          }
          const codes = (result.errors ?? []).map((error) => error.extensions?.code);
          sink.error(
            codes.includes('UNAUTHENTICATED') ? new UnauthenticatedError() : new Error(JSON.stringify(result.errors)),
          );
        },
        error(error) {
          const unauthenticated = error instanceof NetworkError && error.response?.status === 401;
          sink.error(unauthenticated ? new UnauthenticatedError() : error);
        },
        complete: () => sink.complete(),
      },
    );
}
