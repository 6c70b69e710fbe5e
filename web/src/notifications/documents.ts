import { graphql } from '../gql/index.ts';

/** Everything the panel shows of a notification; events and queries select the same fields. */
export const NotificationFieldsFragment = graphql(/* GraphQL */ `
  fragment NotificationFields on Notification {
    id
    kind
    title
    body
    url
    read
    readAt
    createdAt
  }
`);

/** One page of the viewer's notifications, newest first; graphcache merges the pages. */
export const NotificationsQuery = graphql(/* GraphQL */ `
  query Notifications($first: Int!, $after: String, $unreadOnly: Boolean) {
    notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
      edges {
        node {
          ...NotificationFields
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const UnreadNotificationCountQuery = graphql(/* GraphQL */ `
  query UnreadNotificationCount {
    unreadNotificationCount
  }
`);

export const MarkNotificationReadMutation = graphql(/* GraphQL */ `
  mutation MarkNotificationRead($id: ID!) {
    markNotificationRead(id: $id) {
      id
      read
      readAt
    }
  }
`);

export const MarkAllNotificationsReadMutation = graphql(/* GraphQL */ `
  mutation MarkAllNotificationsRead {
    markAllNotificationsRead {
      count
      readAt
    }
  }
`);

export const DeleteNotificationMutation = graphql(/* GraphQL */ `
  mutation DeleteNotification($id: ID!) {
    deleteNotification(id: $id)
  }
`);

export const CreateNotificationMutation = graphql(/* GraphQL */ `
  mutation CreateNotification($input: CreateNotificationInput!) {
    createNotification(input: $input) {
      id
      recipientId
    }
  }
`);

/**
 * The live stream. Every event carries the cursor to resume after and the unread count to show;
 * the cache's updaters (urql/cache.ts) apply the rest.
 */
export const NotificationEventsSubscription = graphql(/* GraphQL */ `
  subscription NotificationEvents($after: String) {
    notificationEvents(after: $after) {
      __typename
      cursor
      unreadCount
      ... on NotificationCreated {
        notification {
          ...NotificationFields
        }
      }
      ... on NotificationRead {
        notification {
          id
          read
          readAt
        }
      }
      ... on NotificationDeleted {
        notificationId
      }
      ... on AllNotificationsRead {
        readAt
        count
      }
      ... on NotificationStreamReady {
        replayed
        heartbeatMs
      }
      ... on NotificationStreamResync {
        resyncReason: reason
      }
      ... on NotificationStreamEnded {
        endReason: reason
      }
    }
  }
`);

export const MeQuery = graphql(/* GraphQL */ `
  query Me {
    me {
      id
      email
      name
      role
    }
  }
`);
