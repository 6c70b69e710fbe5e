import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { derivePostgresSchema, postgresSchemaPath } from '../prisma/derive.ts';
import { schema } from '../server/schema/index.ts';

const root = path.join(import.meta.dirname, '..');
const run = promisify(execFile);

describe('committed generated files are fresh', () => {
  it('schema.graphql matches the Pothos schema (run `npm run generate`)', () => {
    const committed = buildSchema(readFileSync(path.join(root, 'schema.graphql'), 'utf8'));
    expect(printSchema(lexicographicSortSchema(committed))).toBe(printSchema(lexicographicSortSchema(schema)));
  });

  it('prisma/postgresql/schema.prisma is derived from prisma/schema.prisma (run `npm run generate`)', () => {
    expect(readFileSync(postgresSchemaPath, 'utf8')).toBe(derivePostgresSchema());
  });

  it('the migrations of both providers are up to date with prisma/schema.prisma (run `npm run db:migration -- <name>`)', async () => {
    const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
    const result = await run(tsx, [path.join(root, 'prisma', 'migration.ts'), '--check'], { cwd: root }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect((result as { stderr: string }).stderr ?? '').toBe('');
    expect((result as { code?: number }).code ?? 0).toBe(0);
  }, 60_000); // runs Prisma's CLI in a child process: slow on a busy machine

  it('web/src/gql matches the documents in web/src and the schema (run `npm run generate`)', async () => {
    const { generate } = await import('@graphql-codegen/cli');
    const { default: config } = await import('../codegen.ts');
    const outputs = await generate({ ...config, cwd: root, silent: true }, false);
    const client = outputs.filter((output: { filename: string }) => output.filename.includes('web/src/gql/'));
    expect(client.length).toBeGreaterThan(0);
    // graphcache's schema (urql/cache.ts) is among them.
    expect(
      client.map((output: { filename: string }) => path.relative(root, path.resolve(root, output.filename))),
    ).toContain(path.join('web', 'src', 'gql', 'introspection.ts'));
    for (const output of client) {
      expect(readFileSync(path.resolve(root, output.filename), 'utf8'), output.filename).toBe(output.content);
    }
  });

  it('the API keeps the names other tools depend on', () => {
    const signature = (typeName: 'Query' | 'Mutation' | 'Subscription', field: string) => {
      const found = schema.getType(typeName);
      const definition = found && 'getFields' in found ? found.getFields()[field] : undefined;
      if (!definition || !('args' in definition)) return `missing ${typeName}.${field}`;
      return `${definition.args.map((arg) => `${arg.name}: ${arg.type}`).join(', ')} -> ${definition.type}`;
    };
    expect(signature('Query', 'me')).toBe(' -> User');
    expect(signature('Query', 'notifications')).toMatch(
      /^(?=.*first: Int)(?=.*after: String)(?=.*unreadOnly: Boolean).* -> NotificationConnection!$/,
    );
    expect(signature('Query', 'unreadNotificationCount')).toBe(' -> Int!');
    expect(signature('Query', 'notificationStreamStats')).toBe(' -> NotificationStreamStats!');
    expect(signature('Mutation', 'createNotification')).toBe('input: CreateNotificationInput! -> Notification!');
    expect(signature('Mutation', 'markNotificationRead')).toBe('id: ID! -> Notification!');
    expect(signature('Mutation', 'markAllNotificationsRead')).toBe(' -> MarkAllNotificationsReadPayload!');
    expect(signature('Mutation', 'deleteNotification')).toBe('id: ID! -> ID!');
    expect(signature('Subscription', 'notificationEvents')).toMatch(/ -> NotificationEvent!$/);
    const fieldsOf = (name: string) => {
      const type = schema.getType(name);
      if (!type || !('getFields' in type)) return {};
      return Object.fromEntries(Object.values(type.getFields()).map((field) => [field.name, String(field.type)]));
    };
    // The inbox states (issue 12).
    expect(signature('Query', 'notifications')).toMatch(
      /^(?=.*kinds: \[String!\])(?=.*archived: Boolean)(?=.*snoozed: Boolean).* -> NotificationConnection!$/,
    );
    expect(signature('Query', 'notificationCounts')).toBe(' -> NotificationCounts!');
    for (const name of [
      'markNotificationUnread',
      'archiveNotification',
      'unarchiveNotification',
      'unsnoozeNotification',
    ]) {
      expect(signature('Mutation', name)).toBe('id: ID! -> Notification!');
    }
    expect(signature('Mutation', 'markNotificationsSeen')).toBe(' -> MarkNotificationsSeenPayload!');
    expect(signature('Mutation', 'archiveReadNotifications')).toBe(' -> ArchiveReadNotificationsPayload!');
    expect(signature('Mutation', 'snoozeNotification')).toMatch(
      /^(?=.*id: ID!)(?=.*until: DateTime!).* -> Notification!$/,
    );
    expect(signature('Mutation', 'performNotificationAction')).toMatch(
      /^(?=.*id: ID!)(?=.*actionId: String!).* -> Notification!$/,
    );
    expect(fieldsOf('NotificationCounts')).toEqual({ unread: 'Int!', unseen: 'Int!', unreadByKind: '[KindCount!]!' });
    expect(fieldsOf('KindCount')).toEqual({ kind: 'String!', unread: 'Int!' });
    expect(fieldsOf('NotificationAction')).toEqual({
      id: 'String!',
      label: 'String!',
      url: 'String',
      primary: 'Boolean!',
    });
    expect(fieldsOf('Notification')).toMatchObject({
      seen: 'Boolean!',
      seenAt: 'DateTime',
      archived: 'Boolean!',
      archivedAt: 'DateTime',
      snoozedUntil: 'DateTime',
      expiresAt: 'DateTime',
      actions: '[NotificationAction!]!',
      actedAt: 'DateTime',
      actionId: 'String',
      groupKey: 'String',
      groupCount: 'Int!',
    });
    expect(fieldsOf('MarkNotificationsSeenPayload')).toEqual({ seenAt: 'DateTime!', count: 'Int!' });
    expect(fieldsOf('ArchiveReadNotificationsPayload')).toEqual({ archivedAt: 'DateTime!', count: 'Int!' });
    for (const name of [
      'NotificationUnread',
      'NotificationArchived',
      'NotificationUnarchived',
      'NotificationSnoozed',
      'NotificationWoke',
      'NotificationActed',
    ]) {
      expect(fieldsOf(name)).toMatchObject({ notification: 'Notification!', counts: 'NotificationCounts!' });
    }
    expect(fieldsOf('NotificationExpired')).toMatchObject({ notificationId: 'ID!' });
    // Reach (issue 13).
    expect(signature('Mutation', 'createNotifications')).toBe(
      'input: CreateNotificationsInput! -> CreateNotificationsPayload!',
    );
    expect(fieldsOf('CreateNotificationsPayload')).toEqual({ batchId: 'ID!', count: 'Int!', skipped: 'Int!' });
    expect(signature('Mutation', 'subscribeToTopic')).toBe('topic: String! -> Boolean!');
    expect(signature('Mutation', 'unsubscribeFromTopic')).toBe('topic: String! -> Boolean!');
    expect(signature('Mutation', 'addTopicMembers')).toBe('topic: String!, userIds: [ID!]! -> Int!');
    expect(signature('Mutation', 'removeTopicMembers')).toBe('topic: String!, userIds: [ID!]! -> Int!');
    expect(signature('Query', 'myTopics')).toBe(' -> [String!]!');
    expect(signature('Query', 'notificationPreferences')).toBe(' -> [KindPreference!]!');
    expect(signature('Mutation', 'setNotificationPreference')).toBe(
      'desktop: Boolean, inApp: Boolean, kind: String!, push: Boolean, sound: Boolean -> KindPreference!',
    );
    expect(fieldsOf('KindPreference')).toEqual({
      kind: 'String!',
      inApp: 'Boolean!',
      push: 'Boolean!',
      desktop: 'Boolean!',
      sound: 'Boolean!',
      critical: 'Boolean!',
    });
    expect(signature('Query', 'sentNotifications')).toBe(
      'after: String, batchId: ID, first: Int, ids: [ID!] -> SentNotifications!',
    );
    expect(fieldsOf('SentNotifications')).toEqual({
      edges: '[SentNotificationEdge!]!',
      pageInfo: 'PageInfo!',
      totals: 'SentTotals!',
    });
    expect(fieldsOf('SentTotals')).toEqual({ total: 'Int!', seen: 'Int!', read: 'Int!', acted: 'Int!' });
    expect(fieldsOf('SentNotification')).toEqual({
      id: 'ID!',
      recipientId: 'ID!',
      createdAt: 'DateTime!',
      seenAt: 'DateTime',
      readAt: 'DateTime',
      actedAt: 'DateTime',
      actionId: 'String',
      archivedAt: 'DateTime',
      deleted: 'Boolean!',
    });
    expect(fieldsOf('NotificationsSeen')).toMatchObject({ seenAt: 'DateTime!', count: 'Int!' });
    expect(fieldsOf('ReadNotificationsArchived')).toMatchObject({ archivedAt: 'DateTime!', count: 'Int!' });

    expect(fieldsOf('NotificationEvent')).toEqual({
      cursor: 'String!',
      unreadCount: 'Int!',
      counts: 'NotificationCounts!',
    });
    expect(fieldsOf('NotificationStreamStats')).toEqual({
      totalConnections: 'Int!',
      activeUsers: 'Int!',
      connectionsPerUser: '[UserConnectionCount!]!',
    });
    const sdl = printSchema(schema);
    for (const type of [
      'NotificationCreated',
      'NotificationRead',
      'NotificationDeleted',
      'AllNotificationsRead',
      'NotificationStreamReady',
      'NotificationStreamHeartbeat',
    ]) {
      expect(sdl).toContain(`type ${type} implements NotificationEvent`);
    }
  });
});
