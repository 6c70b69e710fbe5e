/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment NotificationFields on Notification {\n    id\n    kind\n    title\n    body\n    url\n    read\n    readAt\n    seen\n    seenAt\n    archived\n    archivedAt\n    snoozedUntil\n    expiresAt\n    actions {\n      id\n      label\n      url\n      primary\n    }\n    actedAt\n    actionId\n    groupKey\n    groupCount\n    createdAt\n  }\n": typeof types.NotificationFieldsFragmentDoc,
    "\n  fragment NotificationCountsFields on NotificationCounts {\n    unread\n    unseen\n    unreadByKind {\n      kind\n      unread\n    }\n  }\n": typeof types.NotificationCountsFieldsFragmentDoc,
    "\n  query Notifications(\n    $first: Int!\n    $after: String\n    $unreadOnly: Boolean\n    $kinds: [String!]\n    $archived: Boolean\n    $snoozed: Boolean\n  ) {\n    notifications(\n      first: $first\n      after: $after\n      unreadOnly: $unreadOnly\n      kinds: $kinds\n      archived: $archived\n      snoozed: $snoozed\n    ) {\n      edges {\n        node {\n          ...NotificationFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.NotificationsDocument,
    "\n  query UnreadNotificationCount {\n    unreadNotificationCount\n  }\n": typeof types.UnreadNotificationCountDocument,
    "\n  query NotificationCounts {\n    notificationCounts {\n      ...NotificationCountsFields\n    }\n  }\n": typeof types.NotificationCountsDocument,
    "\n  mutation MarkNotificationRead($id: ID!) {\n    markNotificationRead(id: $id) {\n      ...NotificationFields\n    }\n  }\n": typeof types.MarkNotificationReadDocument,
    "\n  mutation MarkNotificationUnread($id: ID!) {\n    markNotificationUnread(id: $id) {\n      ...NotificationFields\n    }\n  }\n": typeof types.MarkNotificationUnreadDocument,
    "\n  mutation ArchiveNotification($id: ID!) {\n    archiveNotification(id: $id) {\n      ...NotificationFields\n    }\n  }\n": typeof types.ArchiveNotificationDocument,
    "\n  mutation UnarchiveNotification($id: ID!) {\n    unarchiveNotification(id: $id) {\n      ...NotificationFields\n    }\n  }\n": typeof types.UnarchiveNotificationDocument,
    "\n  mutation SnoozeNotification($id: ID!, $until: DateTime!) {\n    snoozeNotification(id: $id, until: $until) {\n      ...NotificationFields\n    }\n  }\n": typeof types.SnoozeNotificationDocument,
    "\n  mutation UnsnoozeNotification($id: ID!) {\n    unsnoozeNotification(id: $id) {\n      ...NotificationFields\n    }\n  }\n": typeof types.UnsnoozeNotificationDocument,
    "\n  mutation PerformNotificationAction($id: ID!, $actionId: String!) {\n    performNotificationAction(id: $id, actionId: $actionId) {\n      ...NotificationFields\n    }\n  }\n": typeof types.PerformNotificationActionDocument,
    "\n  mutation MarkNotificationsSeen {\n    markNotificationsSeen {\n      count\n      seenAt\n    }\n  }\n": typeof types.MarkNotificationsSeenDocument,
    "\n  mutation ArchiveReadNotifications {\n    archiveReadNotifications {\n      count\n      archivedAt\n    }\n  }\n": typeof types.ArchiveReadNotificationsDocument,
    "\n  mutation MarkAllNotificationsRead {\n    markAllNotificationsRead {\n      count\n      readAt\n    }\n  }\n": typeof types.MarkAllNotificationsReadDocument,
    "\n  mutation DeleteNotification($id: ID!) {\n    deleteNotification(id: $id)\n  }\n": typeof types.DeleteNotificationDocument,
    "\n  mutation CreateNotification($input: CreateNotificationInput!) {\n    createNotification(input: $input) {\n      id\n      recipientId\n    }\n  }\n": typeof types.CreateNotificationDocument,
    "\n  subscription NotificationEvents($after: String) {\n    notificationEvents(after: $after) {\n      __typename\n      cursor\n      unreadCount\n      counts {\n        ...NotificationCountsFields\n      }\n      ... on NotificationCreated {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationRead {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationUnread {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationArchived {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationUnarchived {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationSnoozed {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationWoke {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationActed {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationDeleted {\n        notificationId\n      }\n      ... on NotificationExpired {\n        notificationId\n      }\n      ... on AllNotificationsRead {\n        readAt\n        count\n      }\n      ... on NotificationsSeen {\n        seenAt\n        count\n      }\n      ... on ReadNotificationsArchived {\n        archivedAt\n        count\n      }\n      ... on NotificationPreferenceChanged {\n        preference {\n          ...KindPreferenceFields\n        }\n      }\n      ... on NotificationStreamReady {\n        replayed\n        heartbeatMs\n      }\n      ... on NotificationStreamResync {\n        resyncReason: reason\n      }\n      ... on NotificationStreamEnded {\n        endReason: reason\n      }\n    }\n  }\n": typeof types.NotificationEventsDocument,
    "\n  query Me {\n    me {\n      id\n      email\n      name\n      role\n    }\n  }\n": typeof types.MeDocument,
    "\n  fragment KindPreferenceFields on KindPreference {\n    kind\n    inApp\n    push\n    desktop\n    sound\n    critical\n  }\n": typeof types.KindPreferenceFieldsFragmentDoc,
    "\n  query NotificationPreferences {\n    notificationPreferences {\n      ...KindPreferenceFields\n    }\n  }\n": typeof types.NotificationPreferencesDocument,
    "\n  mutation SetNotificationPreference($kind: String!, $inApp: Boolean, $push: Boolean, $desktop: Boolean, $sound: Boolean) {\n    setNotificationPreference(kind: $kind, inApp: $inApp, push: $push, desktop: $desktop, sound: $sound) {\n      ...KindPreferenceFields\n    }\n  }\n": typeof types.SetNotificationPreferenceDocument,
    "\n  query MyTopics {\n    myTopics\n  }\n": typeof types.MyTopicsDocument,
    "\n  mutation SubscribeToTopic($topic: String!) {\n    subscribeToTopic(topic: $topic)\n  }\n": typeof types.SubscribeToTopicDocument,
    "\n  mutation UnsubscribeFromTopic($topic: String!) {\n    unsubscribeFromTopic(topic: $topic)\n  }\n": typeof types.UnsubscribeFromTopicDocument,
    "\n  query WebPushPublicKey {\n    webPushPublicKey\n  }\n": typeof types.WebPushPublicKeyDocument,
    "\n  mutation RegisterPushSubscription($input: PushSubscriptionInput!) {\n    registerPushSubscription(input: $input)\n  }\n": typeof types.RegisterPushSubscriptionDocument,
    "\n  mutation UnregisterPushSubscription($endpoint: String!) {\n    unregisterPushSubscription(endpoint: $endpoint)\n  }\n": typeof types.UnregisterPushSubscriptionDocument,
    "\n          mutation ServiceWorkerMarkNotificationRead($id: ID!) {\n            markNotificationRead(id: $id) {\n              id\n            }\n          }\n        ": typeof types.ServiceWorkerMarkNotificationReadDocument,
    "\n  fragment NotificationEdgeFields on NotificationEdge {\n    node {\n      ...NotificationFields\n    }\n  }\n": typeof types.NotificationEdgeFieldsFragmentDoc,
    "\n  fragment NotificationBulkState on Notification {\n    id\n    read\n    readAt\n    seen\n    seenAt\n    archived\n    archivedAt\n  }\n": typeof types.NotificationBulkStateFragmentDoc,
    "\n  query CachedUnreadNotificationCount {\n    unreadNotificationCount\n  }\n": typeof types.CachedUnreadNotificationCountDocument,
    "\n  query CachedNotificationCounts {\n    notificationCounts {\n      ...NotificationCountsFields\n    }\n  }\n": typeof types.CachedNotificationCountsDocument,
};
const documents: Documents = {
    "\n  fragment NotificationFields on Notification {\n    id\n    kind\n    title\n    body\n    url\n    read\n    readAt\n    seen\n    seenAt\n    archived\n    archivedAt\n    snoozedUntil\n    expiresAt\n    actions {\n      id\n      label\n      url\n      primary\n    }\n    actedAt\n    actionId\n    groupKey\n    groupCount\n    createdAt\n  }\n": types.NotificationFieldsFragmentDoc,
    "\n  fragment NotificationCountsFields on NotificationCounts {\n    unread\n    unseen\n    unreadByKind {\n      kind\n      unread\n    }\n  }\n": types.NotificationCountsFieldsFragmentDoc,
    "\n  query Notifications(\n    $first: Int!\n    $after: String\n    $unreadOnly: Boolean\n    $kinds: [String!]\n    $archived: Boolean\n    $snoozed: Boolean\n  ) {\n    notifications(\n      first: $first\n      after: $after\n      unreadOnly: $unreadOnly\n      kinds: $kinds\n      archived: $archived\n      snoozed: $snoozed\n    ) {\n      edges {\n        node {\n          ...NotificationFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.NotificationsDocument,
    "\n  query UnreadNotificationCount {\n    unreadNotificationCount\n  }\n": types.UnreadNotificationCountDocument,
    "\n  query NotificationCounts {\n    notificationCounts {\n      ...NotificationCountsFields\n    }\n  }\n": types.NotificationCountsDocument,
    "\n  mutation MarkNotificationRead($id: ID!) {\n    markNotificationRead(id: $id) {\n      ...NotificationFields\n    }\n  }\n": types.MarkNotificationReadDocument,
    "\n  mutation MarkNotificationUnread($id: ID!) {\n    markNotificationUnread(id: $id) {\n      ...NotificationFields\n    }\n  }\n": types.MarkNotificationUnreadDocument,
    "\n  mutation ArchiveNotification($id: ID!) {\n    archiveNotification(id: $id) {\n      ...NotificationFields\n    }\n  }\n": types.ArchiveNotificationDocument,
    "\n  mutation UnarchiveNotification($id: ID!) {\n    unarchiveNotification(id: $id) {\n      ...NotificationFields\n    }\n  }\n": types.UnarchiveNotificationDocument,
    "\n  mutation SnoozeNotification($id: ID!, $until: DateTime!) {\n    snoozeNotification(id: $id, until: $until) {\n      ...NotificationFields\n    }\n  }\n": types.SnoozeNotificationDocument,
    "\n  mutation UnsnoozeNotification($id: ID!) {\n    unsnoozeNotification(id: $id) {\n      ...NotificationFields\n    }\n  }\n": types.UnsnoozeNotificationDocument,
    "\n  mutation PerformNotificationAction($id: ID!, $actionId: String!) {\n    performNotificationAction(id: $id, actionId: $actionId) {\n      ...NotificationFields\n    }\n  }\n": types.PerformNotificationActionDocument,
    "\n  mutation MarkNotificationsSeen {\n    markNotificationsSeen {\n      count\n      seenAt\n    }\n  }\n": types.MarkNotificationsSeenDocument,
    "\n  mutation ArchiveReadNotifications {\n    archiveReadNotifications {\n      count\n      archivedAt\n    }\n  }\n": types.ArchiveReadNotificationsDocument,
    "\n  mutation MarkAllNotificationsRead {\n    markAllNotificationsRead {\n      count\n      readAt\n    }\n  }\n": types.MarkAllNotificationsReadDocument,
    "\n  mutation DeleteNotification($id: ID!) {\n    deleteNotification(id: $id)\n  }\n": types.DeleteNotificationDocument,
    "\n  mutation CreateNotification($input: CreateNotificationInput!) {\n    createNotification(input: $input) {\n      id\n      recipientId\n    }\n  }\n": types.CreateNotificationDocument,
    "\n  subscription NotificationEvents($after: String) {\n    notificationEvents(after: $after) {\n      __typename\n      cursor\n      unreadCount\n      counts {\n        ...NotificationCountsFields\n      }\n      ... on NotificationCreated {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationRead {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationUnread {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationArchived {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationUnarchived {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationSnoozed {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationWoke {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationActed {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationDeleted {\n        notificationId\n      }\n      ... on NotificationExpired {\n        notificationId\n      }\n      ... on AllNotificationsRead {\n        readAt\n        count\n      }\n      ... on NotificationsSeen {\n        seenAt\n        count\n      }\n      ... on ReadNotificationsArchived {\n        archivedAt\n        count\n      }\n      ... on NotificationPreferenceChanged {\n        preference {\n          ...KindPreferenceFields\n        }\n      }\n      ... on NotificationStreamReady {\n        replayed\n        heartbeatMs\n      }\n      ... on NotificationStreamResync {\n        resyncReason: reason\n      }\n      ... on NotificationStreamEnded {\n        endReason: reason\n      }\n    }\n  }\n": types.NotificationEventsDocument,
    "\n  query Me {\n    me {\n      id\n      email\n      name\n      role\n    }\n  }\n": types.MeDocument,
    "\n  fragment KindPreferenceFields on KindPreference {\n    kind\n    inApp\n    push\n    desktop\n    sound\n    critical\n  }\n": types.KindPreferenceFieldsFragmentDoc,
    "\n  query NotificationPreferences {\n    notificationPreferences {\n      ...KindPreferenceFields\n    }\n  }\n": types.NotificationPreferencesDocument,
    "\n  mutation SetNotificationPreference($kind: String!, $inApp: Boolean, $push: Boolean, $desktop: Boolean, $sound: Boolean) {\n    setNotificationPreference(kind: $kind, inApp: $inApp, push: $push, desktop: $desktop, sound: $sound) {\n      ...KindPreferenceFields\n    }\n  }\n": types.SetNotificationPreferenceDocument,
    "\n  query MyTopics {\n    myTopics\n  }\n": types.MyTopicsDocument,
    "\n  mutation SubscribeToTopic($topic: String!) {\n    subscribeToTopic(topic: $topic)\n  }\n": types.SubscribeToTopicDocument,
    "\n  mutation UnsubscribeFromTopic($topic: String!) {\n    unsubscribeFromTopic(topic: $topic)\n  }\n": types.UnsubscribeFromTopicDocument,
    "\n  query WebPushPublicKey {\n    webPushPublicKey\n  }\n": types.WebPushPublicKeyDocument,
    "\n  mutation RegisterPushSubscription($input: PushSubscriptionInput!) {\n    registerPushSubscription(input: $input)\n  }\n": types.RegisterPushSubscriptionDocument,
    "\n  mutation UnregisterPushSubscription($endpoint: String!) {\n    unregisterPushSubscription(endpoint: $endpoint)\n  }\n": types.UnregisterPushSubscriptionDocument,
    "\n          mutation ServiceWorkerMarkNotificationRead($id: ID!) {\n            markNotificationRead(id: $id) {\n              id\n            }\n          }\n        ": types.ServiceWorkerMarkNotificationReadDocument,
    "\n  fragment NotificationEdgeFields on NotificationEdge {\n    node {\n      ...NotificationFields\n    }\n  }\n": types.NotificationEdgeFieldsFragmentDoc,
    "\n  fragment NotificationBulkState on Notification {\n    id\n    read\n    readAt\n    seen\n    seenAt\n    archived\n    archivedAt\n  }\n": types.NotificationBulkStateFragmentDoc,
    "\n  query CachedUnreadNotificationCount {\n    unreadNotificationCount\n  }\n": types.CachedUnreadNotificationCountDocument,
    "\n  query CachedNotificationCounts {\n    notificationCounts {\n      ...NotificationCountsFields\n    }\n  }\n": types.CachedNotificationCountsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment NotificationFields on Notification {\n    id\n    kind\n    title\n    body\n    url\n    read\n    readAt\n    seen\n    seenAt\n    archived\n    archivedAt\n    snoozedUntil\n    expiresAt\n    actions {\n      id\n      label\n      url\n      primary\n    }\n    actedAt\n    actionId\n    groupKey\n    groupCount\n    createdAt\n  }\n"): (typeof documents)["\n  fragment NotificationFields on Notification {\n    id\n    kind\n    title\n    body\n    url\n    read\n    readAt\n    seen\n    seenAt\n    archived\n    archivedAt\n    snoozedUntil\n    expiresAt\n    actions {\n      id\n      label\n      url\n      primary\n    }\n    actedAt\n    actionId\n    groupKey\n    groupCount\n    createdAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment NotificationCountsFields on NotificationCounts {\n    unread\n    unseen\n    unreadByKind {\n      kind\n      unread\n    }\n  }\n"): (typeof documents)["\n  fragment NotificationCountsFields on NotificationCounts {\n    unread\n    unseen\n    unreadByKind {\n      kind\n      unread\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Notifications(\n    $first: Int!\n    $after: String\n    $unreadOnly: Boolean\n    $kinds: [String!]\n    $archived: Boolean\n    $snoozed: Boolean\n  ) {\n    notifications(\n      first: $first\n      after: $after\n      unreadOnly: $unreadOnly\n      kinds: $kinds\n      archived: $archived\n      snoozed: $snoozed\n    ) {\n      edges {\n        node {\n          ...NotificationFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query Notifications(\n    $first: Int!\n    $after: String\n    $unreadOnly: Boolean\n    $kinds: [String!]\n    $archived: Boolean\n    $snoozed: Boolean\n  ) {\n    notifications(\n      first: $first\n      after: $after\n      unreadOnly: $unreadOnly\n      kinds: $kinds\n      archived: $archived\n      snoozed: $snoozed\n    ) {\n      edges {\n        node {\n          ...NotificationFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query UnreadNotificationCount {\n    unreadNotificationCount\n  }\n"): (typeof documents)["\n  query UnreadNotificationCount {\n    unreadNotificationCount\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query NotificationCounts {\n    notificationCounts {\n      ...NotificationCountsFields\n    }\n  }\n"): (typeof documents)["\n  query NotificationCounts {\n    notificationCounts {\n      ...NotificationCountsFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MarkNotificationRead($id: ID!) {\n    markNotificationRead(id: $id) {\n      ...NotificationFields\n    }\n  }\n"): (typeof documents)["\n  mutation MarkNotificationRead($id: ID!) {\n    markNotificationRead(id: $id) {\n      ...NotificationFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MarkNotificationUnread($id: ID!) {\n    markNotificationUnread(id: $id) {\n      ...NotificationFields\n    }\n  }\n"): (typeof documents)["\n  mutation MarkNotificationUnread($id: ID!) {\n    markNotificationUnread(id: $id) {\n      ...NotificationFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ArchiveNotification($id: ID!) {\n    archiveNotification(id: $id) {\n      ...NotificationFields\n    }\n  }\n"): (typeof documents)["\n  mutation ArchiveNotification($id: ID!) {\n    archiveNotification(id: $id) {\n      ...NotificationFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UnarchiveNotification($id: ID!) {\n    unarchiveNotification(id: $id) {\n      ...NotificationFields\n    }\n  }\n"): (typeof documents)["\n  mutation UnarchiveNotification($id: ID!) {\n    unarchiveNotification(id: $id) {\n      ...NotificationFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SnoozeNotification($id: ID!, $until: DateTime!) {\n    snoozeNotification(id: $id, until: $until) {\n      ...NotificationFields\n    }\n  }\n"): (typeof documents)["\n  mutation SnoozeNotification($id: ID!, $until: DateTime!) {\n    snoozeNotification(id: $id, until: $until) {\n      ...NotificationFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UnsnoozeNotification($id: ID!) {\n    unsnoozeNotification(id: $id) {\n      ...NotificationFields\n    }\n  }\n"): (typeof documents)["\n  mutation UnsnoozeNotification($id: ID!) {\n    unsnoozeNotification(id: $id) {\n      ...NotificationFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PerformNotificationAction($id: ID!, $actionId: String!) {\n    performNotificationAction(id: $id, actionId: $actionId) {\n      ...NotificationFields\n    }\n  }\n"): (typeof documents)["\n  mutation PerformNotificationAction($id: ID!, $actionId: String!) {\n    performNotificationAction(id: $id, actionId: $actionId) {\n      ...NotificationFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MarkNotificationsSeen {\n    markNotificationsSeen {\n      count\n      seenAt\n    }\n  }\n"): (typeof documents)["\n  mutation MarkNotificationsSeen {\n    markNotificationsSeen {\n      count\n      seenAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ArchiveReadNotifications {\n    archiveReadNotifications {\n      count\n      archivedAt\n    }\n  }\n"): (typeof documents)["\n  mutation ArchiveReadNotifications {\n    archiveReadNotifications {\n      count\n      archivedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MarkAllNotificationsRead {\n    markAllNotificationsRead {\n      count\n      readAt\n    }\n  }\n"): (typeof documents)["\n  mutation MarkAllNotificationsRead {\n    markAllNotificationsRead {\n      count\n      readAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteNotification($id: ID!) {\n    deleteNotification(id: $id)\n  }\n"): (typeof documents)["\n  mutation DeleteNotification($id: ID!) {\n    deleteNotification(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateNotification($input: CreateNotificationInput!) {\n    createNotification(input: $input) {\n      id\n      recipientId\n    }\n  }\n"): (typeof documents)["\n  mutation CreateNotification($input: CreateNotificationInput!) {\n    createNotification(input: $input) {\n      id\n      recipientId\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription NotificationEvents($after: String) {\n    notificationEvents(after: $after) {\n      __typename\n      cursor\n      unreadCount\n      counts {\n        ...NotificationCountsFields\n      }\n      ... on NotificationCreated {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationRead {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationUnread {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationArchived {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationUnarchived {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationSnoozed {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationWoke {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationActed {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationDeleted {\n        notificationId\n      }\n      ... on NotificationExpired {\n        notificationId\n      }\n      ... on AllNotificationsRead {\n        readAt\n        count\n      }\n      ... on NotificationsSeen {\n        seenAt\n        count\n      }\n      ... on ReadNotificationsArchived {\n        archivedAt\n        count\n      }\n      ... on NotificationPreferenceChanged {\n        preference {\n          ...KindPreferenceFields\n        }\n      }\n      ... on NotificationStreamReady {\n        replayed\n        heartbeatMs\n      }\n      ... on NotificationStreamResync {\n        resyncReason: reason\n      }\n      ... on NotificationStreamEnded {\n        endReason: reason\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription NotificationEvents($after: String) {\n    notificationEvents(after: $after) {\n      __typename\n      cursor\n      unreadCount\n      counts {\n        ...NotificationCountsFields\n      }\n      ... on NotificationCreated {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationRead {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationUnread {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationArchived {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationUnarchived {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationSnoozed {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationWoke {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationActed {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationDeleted {\n        notificationId\n      }\n      ... on NotificationExpired {\n        notificationId\n      }\n      ... on AllNotificationsRead {\n        readAt\n        count\n      }\n      ... on NotificationsSeen {\n        seenAt\n        count\n      }\n      ... on ReadNotificationsArchived {\n        archivedAt\n        count\n      }\n      ... on NotificationPreferenceChanged {\n        preference {\n          ...KindPreferenceFields\n        }\n      }\n      ... on NotificationStreamReady {\n        replayed\n        heartbeatMs\n      }\n      ... on NotificationStreamResync {\n        resyncReason: reason\n      }\n      ... on NotificationStreamEnded {\n        endReason: reason\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me {\n      id\n      email\n      name\n      role\n    }\n  }\n"): (typeof documents)["\n  query Me {\n    me {\n      id\n      email\n      name\n      role\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment KindPreferenceFields on KindPreference {\n    kind\n    inApp\n    push\n    desktop\n    sound\n    critical\n  }\n"): (typeof documents)["\n  fragment KindPreferenceFields on KindPreference {\n    kind\n    inApp\n    push\n    desktop\n    sound\n    critical\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query NotificationPreferences {\n    notificationPreferences {\n      ...KindPreferenceFields\n    }\n  }\n"): (typeof documents)["\n  query NotificationPreferences {\n    notificationPreferences {\n      ...KindPreferenceFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetNotificationPreference($kind: String!, $inApp: Boolean, $push: Boolean, $desktop: Boolean, $sound: Boolean) {\n    setNotificationPreference(kind: $kind, inApp: $inApp, push: $push, desktop: $desktop, sound: $sound) {\n      ...KindPreferenceFields\n    }\n  }\n"): (typeof documents)["\n  mutation SetNotificationPreference($kind: String!, $inApp: Boolean, $push: Boolean, $desktop: Boolean, $sound: Boolean) {\n    setNotificationPreference(kind: $kind, inApp: $inApp, push: $push, desktop: $desktop, sound: $sound) {\n      ...KindPreferenceFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyTopics {\n    myTopics\n  }\n"): (typeof documents)["\n  query MyTopics {\n    myTopics\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SubscribeToTopic($topic: String!) {\n    subscribeToTopic(topic: $topic)\n  }\n"): (typeof documents)["\n  mutation SubscribeToTopic($topic: String!) {\n    subscribeToTopic(topic: $topic)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UnsubscribeFromTopic($topic: String!) {\n    unsubscribeFromTopic(topic: $topic)\n  }\n"): (typeof documents)["\n  mutation UnsubscribeFromTopic($topic: String!) {\n    unsubscribeFromTopic(topic: $topic)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebPushPublicKey {\n    webPushPublicKey\n  }\n"): (typeof documents)["\n  query WebPushPublicKey {\n    webPushPublicKey\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RegisterPushSubscription($input: PushSubscriptionInput!) {\n    registerPushSubscription(input: $input)\n  }\n"): (typeof documents)["\n  mutation RegisterPushSubscription($input: PushSubscriptionInput!) {\n    registerPushSubscription(input: $input)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UnregisterPushSubscription($endpoint: String!) {\n    unregisterPushSubscription(endpoint: $endpoint)\n  }\n"): (typeof documents)["\n  mutation UnregisterPushSubscription($endpoint: String!) {\n    unregisterPushSubscription(endpoint: $endpoint)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n          mutation ServiceWorkerMarkNotificationRead($id: ID!) {\n            markNotificationRead(id: $id) {\n              id\n            }\n          }\n        "): (typeof documents)["\n          mutation ServiceWorkerMarkNotificationRead($id: ID!) {\n            markNotificationRead(id: $id) {\n              id\n            }\n          }\n        "];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment NotificationEdgeFields on NotificationEdge {\n    node {\n      ...NotificationFields\n    }\n  }\n"): (typeof documents)["\n  fragment NotificationEdgeFields on NotificationEdge {\n    node {\n      ...NotificationFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment NotificationBulkState on Notification {\n    id\n    read\n    readAt\n    seen\n    seenAt\n    archived\n    archivedAt\n  }\n"): (typeof documents)["\n  fragment NotificationBulkState on Notification {\n    id\n    read\n    readAt\n    seen\n    seenAt\n    archived\n    archivedAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CachedUnreadNotificationCount {\n    unreadNotificationCount\n  }\n"): (typeof documents)["\n  query CachedUnreadNotificationCount {\n    unreadNotificationCount\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CachedNotificationCounts {\n    notificationCounts {\n      ...NotificationCountsFields\n    }\n  }\n"): (typeof documents)["\n  query CachedNotificationCounts {\n    notificationCounts {\n      ...NotificationCountsFields\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;