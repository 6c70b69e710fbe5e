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
    "\n  fragment NotificationFields on Notification {\n    id\n    kind\n    title\n    body\n    url\n    read\n    readAt\n    createdAt\n  }\n": typeof types.NotificationFieldsFragmentDoc,
    "\n  query Notifications($first: Int!, $after: String, $unreadOnly: Boolean) {\n    notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {\n      edges {\n        node {\n          ...NotificationFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.NotificationsDocument,
    "\n  query UnreadNotificationCount {\n    unreadNotificationCount\n  }\n": typeof types.UnreadNotificationCountDocument,
    "\n  mutation MarkNotificationRead($id: ID!) {\n    markNotificationRead(id: $id) {\n      id\n      read\n      readAt\n    }\n  }\n": typeof types.MarkNotificationReadDocument,
    "\n  mutation MarkAllNotificationsRead {\n    markAllNotificationsRead {\n      count\n      readAt\n    }\n  }\n": typeof types.MarkAllNotificationsReadDocument,
    "\n  mutation DeleteNotification($id: ID!) {\n    deleteNotification(id: $id)\n  }\n": typeof types.DeleteNotificationDocument,
    "\n  mutation CreateNotification($input: CreateNotificationInput!) {\n    createNotification(input: $input) {\n      id\n      recipientId\n    }\n  }\n": typeof types.CreateNotificationDocument,
    "\n  subscription NotificationEvents($after: String) {\n    notificationEvents(after: $after) {\n      __typename\n      cursor\n      unreadCount\n      ... on NotificationCreated {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationRead {\n        notification {\n          id\n          read\n          readAt\n        }\n      }\n      ... on NotificationDeleted {\n        notificationId\n      }\n      ... on AllNotificationsRead {\n        readAt\n        count\n      }\n      ... on NotificationStreamReady {\n        replayed\n        heartbeatMs\n      }\n      ... on NotificationStreamResync {\n        resyncReason: reason\n      }\n      ... on NotificationStreamEnded {\n        endReason: reason\n      }\n    }\n  }\n": typeof types.NotificationEventsDocument,
    "\n  query Me {\n    me {\n      id\n      email\n      name\n      role\n    }\n  }\n": typeof types.MeDocument,
    "\n  fragment NotificationEdgeFields on NotificationEdge {\n    node {\n      ...NotificationFields\n    }\n  }\n": typeof types.NotificationEdgeFieldsFragmentDoc,
    "\n  fragment NotificationReadState on Notification {\n    id\n    read\n    readAt\n  }\n": typeof types.NotificationReadStateFragmentDoc,
    "\n  query CachedUnreadNotificationCount {\n    unreadNotificationCount\n  }\n": typeof types.CachedUnreadNotificationCountDocument,
};
const documents: Documents = {
    "\n  fragment NotificationFields on Notification {\n    id\n    kind\n    title\n    body\n    url\n    read\n    readAt\n    createdAt\n  }\n": types.NotificationFieldsFragmentDoc,
    "\n  query Notifications($first: Int!, $after: String, $unreadOnly: Boolean) {\n    notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {\n      edges {\n        node {\n          ...NotificationFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.NotificationsDocument,
    "\n  query UnreadNotificationCount {\n    unreadNotificationCount\n  }\n": types.UnreadNotificationCountDocument,
    "\n  mutation MarkNotificationRead($id: ID!) {\n    markNotificationRead(id: $id) {\n      id\n      read\n      readAt\n    }\n  }\n": types.MarkNotificationReadDocument,
    "\n  mutation MarkAllNotificationsRead {\n    markAllNotificationsRead {\n      count\n      readAt\n    }\n  }\n": types.MarkAllNotificationsReadDocument,
    "\n  mutation DeleteNotification($id: ID!) {\n    deleteNotification(id: $id)\n  }\n": types.DeleteNotificationDocument,
    "\n  mutation CreateNotification($input: CreateNotificationInput!) {\n    createNotification(input: $input) {\n      id\n      recipientId\n    }\n  }\n": types.CreateNotificationDocument,
    "\n  subscription NotificationEvents($after: String) {\n    notificationEvents(after: $after) {\n      __typename\n      cursor\n      unreadCount\n      ... on NotificationCreated {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationRead {\n        notification {\n          id\n          read\n          readAt\n        }\n      }\n      ... on NotificationDeleted {\n        notificationId\n      }\n      ... on AllNotificationsRead {\n        readAt\n        count\n      }\n      ... on NotificationStreamReady {\n        replayed\n        heartbeatMs\n      }\n      ... on NotificationStreamResync {\n        resyncReason: reason\n      }\n      ... on NotificationStreamEnded {\n        endReason: reason\n      }\n    }\n  }\n": types.NotificationEventsDocument,
    "\n  query Me {\n    me {\n      id\n      email\n      name\n      role\n    }\n  }\n": types.MeDocument,
    "\n  fragment NotificationEdgeFields on NotificationEdge {\n    node {\n      ...NotificationFields\n    }\n  }\n": types.NotificationEdgeFieldsFragmentDoc,
    "\n  fragment NotificationReadState on Notification {\n    id\n    read\n    readAt\n  }\n": types.NotificationReadStateFragmentDoc,
    "\n  query CachedUnreadNotificationCount {\n    unreadNotificationCount\n  }\n": types.CachedUnreadNotificationCountDocument,
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
export function graphql(source: "\n  fragment NotificationFields on Notification {\n    id\n    kind\n    title\n    body\n    url\n    read\n    readAt\n    createdAt\n  }\n"): (typeof documents)["\n  fragment NotificationFields on Notification {\n    id\n    kind\n    title\n    body\n    url\n    read\n    readAt\n    createdAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Notifications($first: Int!, $after: String, $unreadOnly: Boolean) {\n    notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {\n      edges {\n        node {\n          ...NotificationFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query Notifications($first: Int!, $after: String, $unreadOnly: Boolean) {\n    notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {\n      edges {\n        node {\n          ...NotificationFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query UnreadNotificationCount {\n    unreadNotificationCount\n  }\n"): (typeof documents)["\n  query UnreadNotificationCount {\n    unreadNotificationCount\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MarkNotificationRead($id: ID!) {\n    markNotificationRead(id: $id) {\n      id\n      read\n      readAt\n    }\n  }\n"): (typeof documents)["\n  mutation MarkNotificationRead($id: ID!) {\n    markNotificationRead(id: $id) {\n      id\n      read\n      readAt\n    }\n  }\n"];
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
export function graphql(source: "\n  subscription NotificationEvents($after: String) {\n    notificationEvents(after: $after) {\n      __typename\n      cursor\n      unreadCount\n      ... on NotificationCreated {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationRead {\n        notification {\n          id\n          read\n          readAt\n        }\n      }\n      ... on NotificationDeleted {\n        notificationId\n      }\n      ... on AllNotificationsRead {\n        readAt\n        count\n      }\n      ... on NotificationStreamReady {\n        replayed\n        heartbeatMs\n      }\n      ... on NotificationStreamResync {\n        resyncReason: reason\n      }\n      ... on NotificationStreamEnded {\n        endReason: reason\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription NotificationEvents($after: String) {\n    notificationEvents(after: $after) {\n      __typename\n      cursor\n      unreadCount\n      ... on NotificationCreated {\n        notification {\n          ...NotificationFields\n        }\n      }\n      ... on NotificationRead {\n        notification {\n          id\n          read\n          readAt\n        }\n      }\n      ... on NotificationDeleted {\n        notificationId\n      }\n      ... on AllNotificationsRead {\n        readAt\n        count\n      }\n      ... on NotificationStreamReady {\n        replayed\n        heartbeatMs\n      }\n      ... on NotificationStreamResync {\n        resyncReason: reason\n      }\n      ... on NotificationStreamEnded {\n        endReason: reason\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me {\n      id\n      email\n      name\n      role\n    }\n  }\n"): (typeof documents)["\n  query Me {\n    me {\n      id\n      email\n      name\n      role\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment NotificationEdgeFields on NotificationEdge {\n    node {\n      ...NotificationFields\n    }\n  }\n"): (typeof documents)["\n  fragment NotificationEdgeFields on NotificationEdge {\n    node {\n      ...NotificationFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment NotificationReadState on Notification {\n    id\n    read\n    readAt\n  }\n"): (typeof documents)["\n  fragment NotificationReadState on Notification {\n    id\n    read\n    readAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CachedUnreadNotificationCount {\n    unreadNotificationCount\n  }\n"): (typeof documents)["\n  query CachedUnreadNotificationCount {\n    unreadNotificationCount\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;