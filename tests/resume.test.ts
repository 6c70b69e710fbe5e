import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, type TestUser } from './helpers/auth.ts';
import { gql, notify } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { notificationEvents, type StreamEventResult, subscribe } from './helpers/sse.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => server?.dispose());

const resumeQuery = notificationEvents
  .replace(
    'subscription {\n    notificationEvents {',
    'subscription($after: String) {\n    notificationEvents(after: $after) {',
  )
  .replace('... on NotificationStreamReady { at }', '... on NotificationStreamReady { at replayed }')
  .replace(
    '... on NotificationStreamHeartbeat { at }',
    '... on NotificationStreamHeartbeat { at } ... on NotificationStreamResync { reason }',
  );

function resume(user: TestUser, after: string | null) {
  return subscribe(server, user.headers, 'distinct', resumeQuery, { after });
}

async function until(stream: ReturnType<typeof subscribe>, type: string) {
  const events: StreamEventResult[] = [];
  for (;;) {
    const event = await stream.waitFor((e) => e.__typename !== 'NotificationStreamHeartbeat');
    events.push(event);
    if (event.__typename === type) return events;
  }
}

const markRead = 'mutation($id: ID!) { markNotificationRead(id: $id) { id } }';
const remove = 'mutation($id: ID!) { deleteNotification(id: $id) }';

describe('resuming a stream from a cursor', () => {
  it('replays exactly the events missed while disconnected, in order, then Ready, then live events', async () => {
    const alice = await signUp(server);
    const first = subscribe(server, alice.headers);
    await first.next();
    const kept = await notify(server, alice.headers, { title: 'seen live' });
    const seen = await first.waitFor((e) => e.__typename === 'NotificationCreated');
    first.dispose();

    const missed = await notify(server, alice.headers, { title: 'missed' });
    await gql(server, markRead, { id: kept.id }, alice.headers);
    await gql(server, remove, { id: missed.id }, alice.headers);

    const resumed = resume(alice, seen.cursor);
    const replay = await until(resumed, 'NotificationStreamReady');
    expect(replay.map((e) => [e.__typename, e.cursor, e.unreadCount])).toEqual([
      ['NotificationCreated', '2', 2],
      ['NotificationRead', '3', 1],
      ['NotificationDeleted', '4', 0],
      ['NotificationStreamReady', '4', 0],
    ]);
    expect(replay.at(-1)?.replayed).toBe(3);

    const live = await notify(server, alice.headers, { title: 'live again' });
    expect(await resumed.waitFor((e) => e.__typename === 'NotificationCreated')).toMatchObject({
      cursor: '5',
      notification: { id: live.id },
    });
    expect(resumed.pending()).toEqual([]);
    resumed.dispose();
  });

  it('replays from the very beginning with an empty cursor, and nothing when the cursor is the latest', async () => {
    const bob = await signUp(server);
    await notify(server, bob.headers, { title: 'a' });
    await notify(server, bob.headers, { title: 'b' });
    const everything = resume(bob, '');
    expect((await until(everything, 'NotificationStreamReady')).map((e) => e.cursor)).toEqual(['1', '2', '2']);
    everything.dispose();
    const nothing = resume(bob, '2');
    expect(await nothing.next()).toMatchObject({ __typename: 'NotificationStreamReady', cursor: '2', replayed: 0 });
    nothing.dispose();
  });

  it('replays more than one page of the log, a page at a time as the client reads', async () => {
    const carol = await signUp(server);
    const total = 1_234;
    const rows = Array.from({ length: total }, (_, i) => ({
      userId: carol.id,
      seq: i + 1,
      type: 'NotificationDeleted',
      payload: { type: 'NotificationDeleted', cursor: String(i + 1), unreadCount: 0, notificationId: `gone-${i + 1}` },
    }));
    await server.app.db.prisma.userEvent.createMany({ data: rows });
    await server.app.db.prisma.user.update({ where: { id: carol.id }, data: { lastEventSeq: total } });

    const stream = resume(carol, '');
    const events = await until(stream, 'NotificationStreamReady');
    expect(events).toHaveLength(total + 1);
    expect(events.slice(0, -1).map((e) => Number(e.cursor))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(events.at(-1)).toMatchObject({ replayed: total, cursor: String(total) });
    stream.dispose();
  });

  it('answers NotificationStreamResync for a pruned or an unknown cursor, then goes live', async () => {
    const dave = await signUp(server);
    for (const title of ['old 1', 'old 2', 'old 3']) await notify(server, dave.headers, { title });
    // Age the first two events past the retention period and prune.
    await server.app.db.prisma.userEvent.updateMany({
      where: { userId: dave.id, seq: { lte: 2 } },
      data: { createdAt: new Date(Date.now() - 400 * 3_600_000) },
    });
    expect(await server.app.retention.prune()).toBeGreaterThanOrEqual(2);

    const expired = resume(dave, '1');
    expect(
      (await until(expired, 'NotificationStreamReady')).map((e) => [e.__typename, e.reason ?? null, e.cursor]),
    ).toEqual([
      ['NotificationStreamResync', 'CURSOR_EXPIRED', '3'],
      ['NotificationStreamReady', null, '3'],
    ]);
    const live = await notify(server, dave.headers, { title: 'after resync' });
    expect(await expired.waitFor((e) => e.__typename === 'NotificationCreated')).toMatchObject({
      cursor: '4',
      notification: { id: live.id },
    });
    expired.dispose();

    for (const cursor of ['99', 'not-a-cursor']) {
      const unknown = resume(dave, cursor);
      expect(await unknown.next()).toMatchObject({
        __typename: 'NotificationStreamResync',
        reason: 'CURSOR_UNKNOWN',
        cursor: '4',
      });
      expect(await unknown.next()).toMatchObject({ __typename: 'NotificationStreamReady', replayed: 0 });
      unknown.dispose();
    }
    // A cursor still inside the log replays normally.
    const inside = resume(dave, '3');
    expect((await until(inside, 'NotificationStreamReady')).map((e) => e.cursor)).toEqual(['4', '4']);
    inside.dispose();
  });
});

describe('resuming a plain EventSource (Last-Event-ID)', () => {
  /** Reads SSE messages (id, event, data) from a response body. */
  async function* messages(response: Response) {
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((line) => line && !line.startsWith(':'))
            .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
        );
        if (fields.event === 'next')
          yield { id: fields.id as string | undefined, data: JSON.parse(fields.data ?? '{}') };
        end = buffer.indexOf('\n\n');
      }
    }
  }

  const query = encodeURIComponent(
    'subscription { notificationEvents { __typename cursor ... on NotificationStreamReady { replayed } } }',
  );

  it('sends each event id as its cursor and resumes from Last-Event-ID or ?lastEventId', async () => {
    const erin = await signUp(server);
    const controller = new AbortController();
    const first = await fetch(`${server.url}/graphql?query=${query}`, {
      headers: { ...erin.headers, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    const firstMessages = messages(first);
    expect((await firstMessages.next()).value).toMatchObject({ id: undefined }); // Ready with no events yet
    await notify(server, erin.headers, { title: 'one' });
    const one = (await firstMessages.next()).value;
    expect(one).toMatchObject({
      id: '1',
      data: { data: { notificationEvents: { __typename: 'NotificationCreated' } } },
    });
    controller.abort();

    await notify(server, erin.headers, { title: 'two' });
    await notify(server, erin.headers, { title: 'three' });

    const requests: { url: string; headers: Record<string, string> }[] = [
      { url: `${server.url}/graphql?query=${query}`, headers: { 'last-event-id': one?.id ?? '' } },
      { url: `${server.url}/graphql?query=${query}&lastEventId=${one?.id}`, headers: {} },
    ];
    for (const request of requests) {
      const again = new AbortController();
      const response = await fetch(request.url, {
        headers: { ...erin.headers, ...request.headers, accept: 'text/event-stream' },
        signal: again.signal,
      });
      const resumed = messages(response);
      const got = [];
      for (let i = 0; i < 3; i++) got.push((await resumed.next()).value);
      expect(got.map((m) => [m?.id, m?.data.data.notificationEvents.__typename])).toEqual([
        ['2', 'NotificationCreated'],
        ['3', 'NotificationCreated'],
        ['3', 'NotificationStreamReady'],
      ]);
      again.abort();
    }
  });
});
