import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, signUp, type TestUser } from './helpers/auth.ts';
import { logOf } from './helpers/events.ts';
import { codes, gql } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';

// Preferences per kind and topics (issue 13, first part), on both engines: who may do what, the
// rules, and what a muted kind does to a new notification.

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ criticalKinds: ['security', 'billing'] });
});
afterAll(async () => server?.dispose());

const preferenceFields = 'kind inApp push desktop sound critical';

async function as(user: TestUser | Record<string, string>, query: string, variables: Record<string, unknown> = {}) {
  const headers = 'headers' in user ? (user as TestUser).headers : (user as Record<string, string>);
  return gql(server, query, variables, headers);
}

async function ok(user: TestUser | Record<string, string>, query: string, variables: Record<string, unknown> = {}) {
  const result = await as(user, query, variables);
  if (result.errors || !result.data) throw new Error(`${query.trim().slice(0, 60)}: ${JSON.stringify(result.errors)}`);
  return result.data as Record<string, unknown>;
}

const create = (user: TestUser, kind: string, title = kind) =>
  ok(
    user,
    'mutation ($input: CreateNotificationInput!) { createNotification(input: $input) { id read seen archived } }',
    {
      input: { title, kind },
    },
  ).then((data) => data.createNotification as { id: string; read: boolean; seen: boolean; archived: boolean });

const setPreference = (user: TestUser, variables: Record<string, unknown>) =>
  as(
    user,
    `mutation ($kind: String!, $inApp: Boolean, $push: Boolean, $desktop: Boolean, $sound: Boolean) {
      setNotificationPreference(kind: $kind, inApp: $inApp, push: $push, desktop: $desktop, sound: $sound) { ${preferenceFields} }
    }`,
    variables,
  );

describe('preferences per kind', () => {
  it('lists one per kind received or set, with the defaults, in kind order; critical kinds say so', async () => {
    const alice = await signUp(server);
    await create(alice, 'mention');
    await create(alice, 'security');
    await ok(alice, 'mutation { setNotificationPreference(kind: "digest", sound: true) { kind } }');
    const { notificationPreferences } = await ok(alice, `{ notificationPreferences { ${preferenceFields} } }`);
    expect(notificationPreferences).toEqual([
      { kind: 'digest', inApp: true, push: true, desktop: true, sound: true, critical: false },
      { kind: 'mention', inApp: true, push: true, desktop: true, sound: false, critical: false },
      { kind: 'security', inApp: true, push: true, desktop: true, sound: false, critical: true },
    ]);
  });

  it('a muted kind is stored straight into the archive, read and seen: never counted, still found; unmuting brings the next one back', async () => {
    const bob = await signUp(server);
    await create(bob, 'mention');
    const muted = await setPreference(bob, { kind: 'marketing', inApp: false });
    expect(muted.data?.setNotificationPreference).toMatchObject({ kind: 'marketing', inApp: false, push: true });
    const promo = await create(bob, 'marketing', 'sale');
    expect(promo).toMatchObject({ archived: true, read: true, seen: true });
    const counts = await ok(bob, '{ notificationCounts { unread unseen } }');
    expect(counts.notificationCounts).toEqual({ unread: 1, unseen: 1 });
    const archived = await ok(bob, '{ notifications(archived: true) { edges { node { id } } } }');
    expect(archived.notifications).toEqual({ edges: [{ node: { id: promo.id } }] });

    // Only the settings given change.
    const unmuted = await setPreference(bob, { kind: 'marketing', inApp: true });
    expect(unmuted.data?.setNotificationPreference).toMatchObject({ inApp: true, push: true, sound: false });
    expect(await create(bob, 'marketing', 'another sale')).toMatchObject({ archived: false, read: false });

    const log = await logOf(server, bob);
    expect(log.map((row) => row.type)).toEqual([
      'NotificationCreated',
      'NotificationPreferenceChanged',
      'NotificationCreated',
      'NotificationPreferenceChanged',
      'NotificationCreated',
    ]);
    // The archived arrival changed no count.
    expect(log.map((row) => row.unreadCount)).toEqual([1, 1, 1, 1, 2]);
  });

  it('setting what is set already logs nothing', async () => {
    const carol = await signUp(server);
    await setPreference(carol, { kind: 'digest', sound: true });
    await setPreference(carol, { kind: 'digest', sound: true });
    await setPreference(carol, { kind: 'digest' });
    expect((await logOf(server, carol)).map((row) => row.type)).toEqual(['NotificationPreferenceChanged']);
  });

  it('refuses to mute a critical kind, naming `inApp`, and a bad kind, naming `kind`', async () => {
    const dan = await signUp(server);
    for (const kind of ['security', 'billing']) {
      const refused = await setPreference(dan, { kind, inApp: false });
      expect(codes(refused)).toEqual(['BAD_USER_INPUT']);
      expect(refused.errors?.[0]?.extensions?.field).toBe('inApp');
    }
    // A critical kind's other settings may change.
    const quiet = await setPreference(dan, { kind: 'security', sound: true, push: false });
    expect(quiet.data?.setNotificationPreference).toMatchObject({
      inApp: true,
      sound: true,
      push: false,
      critical: true,
    });
    const bad = await setPreference(dan, { kind: 'has spaces', sound: true });
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    expect(bad.errors?.[0]?.extensions?.field).toBe('kind');
    expect(codes(await gql(server, '{ notificationPreferences { kind } }'))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('topics', () => {
  it('a user follows and leaves topics; the answers say whether anything changed', async () => {
    const erin = await signUp(server);
    const follow = (topic: string) => ok(erin, 'mutation ($t: String!) { subscribeToTopic(topic: $t) }', { t: topic });
    const leave = (topic: string) =>
      ok(erin, 'mutation ($t: String!) { unsubscribeFromTopic(topic: $t) }', { t: topic });
    expect(await follow('project:42')).toEqual({ subscribeToTopic: true });
    expect(await follow('project:42')).toEqual({ subscribeToTopic: false });
    expect(await follow('announcements')).toEqual({ subscribeToTopic: true });
    expect(await ok(erin, '{ myTopics }')).toEqual({ myTopics: ['announcements', 'project:42'] });
    expect(await leave('project:42')).toEqual({ unsubscribeFromTopic: true });
    expect(await leave('project:42')).toEqual({ unsubscribeFromTopic: false });
    expect(await ok(erin, '{ myTopics }')).toEqual({ myTopics: ['announcements'] });
    for (const topic of ['has space', 'x'.repeat(129), '', 'a/b']) {
      const bad = await as(erin, 'mutation ($t: String!) { subscribeToTopic(topic: $t) }', { t: topic });
      expect(codes(bad), topic).toEqual(['BAD_USER_INPUT']);
      expect(bad.errors?.[0]?.extensions?.field).toBe('topic');
    }
  });

  it('operators (admins, keys with notify:any) add and remove members; anyone else is FORBIDDEN; unknown ids add nothing', async () => {
    const admin = await signUp(server, { admin: true });
    const plain = await signUp(server);
    const members = [await signUp(server), await signUp(server)];
    const ids = members.map((member) => member.id);
    const add = (who: TestUser | Record<string, string>, userIds: string[]) =>
      as(who, 'mutation ($ids: [ID!]!) { addTopicMembers(topic: "team:ops", userIds: $ids) }', { ids: userIds });

    expect(codes(await add(plain, ids))).toEqual(['FORBIDDEN']);
    const unknown = await add(admin, [...ids, 'no-such-user']);
    expect(codes(unknown)).toEqual(['BAD_USER_INPUT']);
    expect(unknown.errors?.[0]?.extensions?.field).toBe('userIds');
    expect(unknown.errors?.[0]?.message).toContain('no-such-user');
    expect((await ok(members[0] as TestUser, '{ myTopics }')).myTopics).toEqual([]);

    expect((await add(admin, ids)).data).toEqual({ addTopicMembers: 2 });
    expect((await add(admin, ids)).data).toEqual({ addTopicMembers: 0 });
    const key = await createApiKey(server, plain, ['notify:any']);
    const viaKey = await as(key, 'mutation ($ids: [ID!]!) { removeTopicMembers(topic: "team:ops", userIds: $ids) }', {
      ids: [members[0]?.id],
    });
    expect(viaKey.data).toEqual({ removeTopicMembers: 1 });
    expect((await ok(members[1] as TestUser, '{ myTopics }')).myTopics).toEqual(['team:ops']);
    expect(codes(await add(admin, []))).toEqual(['BAD_USER_INPUT']);
  });
});
