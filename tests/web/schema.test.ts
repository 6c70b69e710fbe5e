import { afterEach, describe, expect, it, vi } from 'vitest';
import { NotificationsQuery } from '../../web/src/notifications/documents.ts';
import { cacheFixture, counts, notification, page, settle, watch } from './fixtures.ts';

// graphcache is given the schema's types (web/src/gql/introspection.ts, generated): it matches
// the stream's fragments on the NotificationEvent interface by the schema, silently, instead of
// by heuristic with a warning per fragment.

describe("the web client's cache knows the schema", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('applies stream events and list pages without a warning', async () => {
    const warnings: unknown[][] = [];
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(args);
    });
    const first = notification(5);
    const fixture = cacheFixture(() => ({ data: page([first]) }));
    const list = watch(fixture.client, NotificationsQuery, { first: 20, unreadOnly: false });
    await settle();
    const created = notification(1);
    await fixture.push({
      __typename: 'NotificationCreated',
      cursor: '2',
      unreadCount: 2,
      counts: counts(2),
      notification: created,
    });
    await fixture.push({
      __typename: 'NotificationStreamHeartbeat',
      cursor: '2',
      unreadCount: 2,
      counts: counts(2),
    } as never);
    const ids = (
      list() as { data?: { notifications: { edges: { node: { id: string } }[] } } }
    ).data?.notifications.edges.map((edge) => edge.node.id);
    expect(ids).toEqual([created.id, first.id]);
    expect(warnings).toEqual([]);
  });
});
