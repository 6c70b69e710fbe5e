import { type Client, type Exchange, getOperationName, makeErrorResult, makeResult, type Operation } from '@urql/core';
import { GraphQLError } from 'graphql';
import { filter, fromPromise, mergeMap, pipe } from 'wonka';
import type { NotificationFieldsFragment } from '../../web/src/gql/graphql.ts';
import {
  type NotificationCountsQuery,
  NotificationEventsSubscription,
  type NotificationsQuery,
  type UnreadNotificationCountQuery,
} from '../../web/src/notifications/documents.ts';
import type { StreamEvent } from '../../web/src/urql/cache.ts';
import { createNotificationClient } from '../../web/src/urql/client.ts';

type Answer = { data: unknown } | { error: string };

/**
 * The web client's urql client and graphcache exactly as the app builds them, with the network
 * replaced by answers the test gives: this is where updaters meet a real normalized store.
 */
export function cacheFixture(answer: (operation: Operation) => Answer | Promise<Answer>) {
  const calls: Operation[] = [];
  const answering: Exchange = () => (operations$) =>
    pipe(
      operations$,
      filter((operation) => operation.kind !== 'teardown'),
      mergeMap((operation) => {
        calls.push(operation);
        return fromPromise(
          Promise.resolve(answer(operation)).then((result) =>
            'error' in result
              ? makeErrorResult(operation, new Error(result.error), undefined)
              : makeResult(operation, { data: result.data as Record<string, unknown> }),
          ),
        );
      }),
    );
  const { client, feed } = createNotificationClient('http://tidings.test/graphql', answering);
  client.subscription(NotificationEventsSubscription, {}).subscribe(() => {});
  return {
    client,
    calls,
    callsNamed: (name: string) => calls.filter((operation) => getOperationName(operation.query) === name),
    /** Applies an event, then lets the cache's updates reach the open queries. */
    push: async (event: StreamEvent) => {
      feed.push(event);
      await settle();
    },
  };
}

/** A GraphQL error result, as a server that refused a mutation sends it. */
export function refusal(message: string): Answer {
  return { error: new GraphQLError(message).message };
}

let sequence = 0;

/** A notification as the server would send it; `minutesAgo` orders them. */
export function notification(
  minutesAgo: number,
  change: Partial<NotificationFieldsFragment> = {},
): NotificationFieldsFragment {
  sequence += 1;
  return {
    __typename: 'Notification',
    id: `n${sequence}`,
    kind: 'info',
    title: `Notification ${sequence}`,
    body: null,
    url: null,
    read: false,
    readAt: null,
    seen: false,
    seenAt: null,
    archived: false,
    archivedAt: null,
    snoozedUntil: null,
    expiresAt: null,
    actions: [],
    actedAt: null,
    actionId: null,
    groupKey: null,
    groupCount: 1,
    createdAt: new Date(Date.UTC(2026, 10, 28, 12, 0) - minutesAgo * 60_000).toISOString(),
    ...change,
  } as NotificationFieldsFragment;
}

/** Counts as events carry them: `unread` unread, as many unseen unless told, all of kind info unless told. */
export function counts(unread: number, unseen = unread, unreadByKind: Record<string, number> = { info: unread }) {
  return {
    __typename: 'NotificationCounts',
    unread,
    unseen,
    unreadByKind: Object.entries(unreadByKind)
      .filter(([, count]) => count > 0)
      .map(([kind, count]) => ({ __typename: 'KindCount', kind, unread: count })),
  } as const;
}

/** A `notifications` page as the server answers it. */
export function page(nodes: NotificationFieldsFragment[], hasNextPage = false) {
  return {
    notifications: {
      __typename: 'NotificationConnection',
      edges: nodes.map((node) => ({ __typename: 'NotificationEdge', cursor: btoa(`GPC:S:${node.id}`), node })),
      pageInfo: {
        __typename: 'PageInfo',
        hasNextPage,
        endCursor: nodes.length ? btoa(`GPC:S:${nodes.at(-1)?.id}`) : null,
      },
    },
  };
}

/** Keeps a query open (as a mounted component would) and returns a function that reads its latest result. */
export function watch<Data>(
  client: Client,
  query: typeof NotificationsQuery | typeof UnreadNotificationCountQuery | typeof NotificationCountsQuery,
  variables: object,
) {
  let latest: { data?: Data; fetching?: boolean } = {};
  client.query(query as never, variables as never, { requestPolicy: 'cache-first' }).subscribe((result) => {
    latest = result as typeof latest;
  });
  return () => latest;
}

/** Lets urql's microtasks and our promises settle. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 5));
