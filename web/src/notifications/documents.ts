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
    seen
    seenAt
    archived
    archivedAt
    snoozedUntil
    expiresAt
    actions {
      id
      label
      url
      primary
    }
    actedAt
    actionId
    groupKey
    groupCount
    createdAt
  }
`);

/** The viewer's counts as every event carries them: the badge shows `unseen`, the tabs `unreadByKind`. */
export const NotificationCountsFieldsFragment = graphql(/* GraphQL */ `
  fragment NotificationCountsFields on NotificationCounts {
    unread
    unseen
    unreadByKind {
      kind
      unread
    }
  }
`);

/** One page of the viewer's notifications, newest first; graphcache merges the pages. */
export const NotificationsQuery = graphql(/* GraphQL */ `
  query Notifications(
    $first: Int!
    $after: String
    $unreadOnly: Boolean
    $kinds: [String!]
    $archived: Boolean
    $snoozed: Boolean
  ) {
    notifications(
      first: $first
      after: $after
      unreadOnly: $unreadOnly
      kinds: $kinds
      archived: $archived
      snoozed: $snoozed
    ) {
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

export const NotificationCountsQuery = graphql(/* GraphQL */ `
  query NotificationCounts {
    notificationCounts {
      ...NotificationCountsFields
    }
  }
`);

// Every mutation on one notification answers all of its fields: its optimistic answer is the
// cached notification with the change, so the cache's updaters can place it in every list.

export const MarkNotificationReadMutation = graphql(/* GraphQL */ `
  mutation MarkNotificationRead($id: ID!) {
    markNotificationRead(id: $id) {
      ...NotificationFields
    }
  }
`);

export const MarkNotificationUnreadMutation = graphql(/* GraphQL */ `
  mutation MarkNotificationUnread($id: ID!) {
    markNotificationUnread(id: $id) {
      ...NotificationFields
    }
  }
`);

export const ArchiveNotificationMutation = graphql(/* GraphQL */ `
  mutation ArchiveNotification($id: ID!) {
    archiveNotification(id: $id) {
      ...NotificationFields
    }
  }
`);

export const UnarchiveNotificationMutation = graphql(/* GraphQL */ `
  mutation UnarchiveNotification($id: ID!) {
    unarchiveNotification(id: $id) {
      ...NotificationFields
    }
  }
`);

export const SnoozeNotificationMutation = graphql(/* GraphQL */ `
  mutation SnoozeNotification($id: ID!, $until: DateTime!) {
    snoozeNotification(id: $id, until: $until) {
      ...NotificationFields
    }
  }
`);

export const UnsnoozeNotificationMutation = graphql(/* GraphQL */ `
  mutation UnsnoozeNotification($id: ID!) {
    unsnoozeNotification(id: $id) {
      ...NotificationFields
    }
  }
`);

export const PerformNotificationActionMutation = graphql(/* GraphQL */ `
  mutation PerformNotificationAction($id: ID!, $actionId: String!) {
    performNotificationAction(id: $id, actionId: $actionId) {
      ...NotificationFields
    }
  }
`);

export const MarkNotificationsSeenMutation = graphql(/* GraphQL */ `
  mutation MarkNotificationsSeen {
    markNotificationsSeen {
      count
      seenAt
    }
  }
`);

export const ArchiveReadNotificationsMutation = graphql(/* GraphQL */ `
  mutation ArchiveReadNotifications {
    archiveReadNotifications {
      count
      archivedAt
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
 * The live stream. Every event carries the cursor to resume after and the counts to show; the
 * cache's updaters (urql/cache.ts) apply the rest.
 */
export const NotificationEventsSubscription = graphql(/* GraphQL */ `
  subscription NotificationEvents($after: String) {
    notificationEvents(after: $after) {
      __typename
      cursor
      unreadCount
      counts {
        ...NotificationCountsFields
      }
      ... on NotificationCreated {
        notification {
          ...NotificationFields
        }
      }
      ... on NotificationRead {
        notification {
          ...NotificationFields
        }
      }
      ... on NotificationUnread {
        notification {
          ...NotificationFields
        }
      }
      ... on NotificationArchived {
        notification {
          ...NotificationFields
        }
      }
      ... on NotificationUnarchived {
        notification {
          ...NotificationFields
        }
      }
      ... on NotificationSnoozed {
        notification {
          ...NotificationFields
        }
      }
      ... on NotificationWoke {
        notification {
          ...NotificationFields
        }
      }
      ... on NotificationActed {
        notification {
          ...NotificationFields
        }
      }
      ... on NotificationDeleted {
        notificationId
      }
      ... on NotificationExpired {
        notificationId
      }
      ... on AllNotificationsRead {
        readAt
        count
      }
      ... on NotificationsSeen {
        seenAt
        count
      }
      ... on ReadNotificationsArchived {
        archivedAt
        count
      }
      ... on NotificationPreferenceChanged {
        preference {
          ...KindPreferenceFields
        }
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

/** What a user wants of one kind; `critical` kinds cannot be muted in-app. */
export const KindPreferenceFieldsFragment = graphql(/* GraphQL */ `
  fragment KindPreferenceFields on KindPreference {
    kind
    inApp
    push
    desktop
    sound
    critical
  }
`);

/** One preference per kind the viewer has received or set, in kind order. */
export const NotificationPreferencesQuery = graphql(/* GraphQL */ `
  query NotificationPreferences {
    notificationPreferences {
      ...KindPreferenceFields
    }
  }
`);

export const SetNotificationPreferenceMutation = graphql(/* GraphQL */ `
  mutation SetNotificationPreference($kind: String!, $inApp: Boolean, $push: Boolean, $desktop: Boolean, $sound: Boolean) {
    setNotificationPreference(kind: $kind, inApp: $inApp, push: $push, desktop: $desktop, sound: $sound) {
      ...KindPreferenceFields
    }
  }
`);

export const MyTopicsQuery = graphql(/* GraphQL */ `
  query MyTopics {
    myTopics
  }
`);

export const SubscribeToTopicMutation = graphql(/* GraphQL */ `
  mutation SubscribeToTopic($topic: String!) {
    subscribeToTopic(topic: $topic)
  }
`);

export const UnsubscribeFromTopicMutation = graphql(/* GraphQL */ `
  mutation UnsubscribeFromTopic($topic: String!) {
    unsubscribeFromTopic(topic: $topic)
  }
`);
