import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './helpers/auth.ts';
import { gql, notify } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { subscribe } from './helpers/sse.ts';

// Distinct-connection streams (GET and JSON POST) are written straight to their sockets by
// server/event-streams.ts; everything else on /graphql goes through Yoga. These tests hold the
// two paths to the same answers.

/** A raw SSE response read block by block (the blank-line-separated events, pings included). */
async function openRaw(url: string, init: RequestInit) {
  const controller = new AbortController();
  const response = await fetch(url, { ...init, signal: controller.signal });
  const blocks: string[] = [];
  let failure: unknown;
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        blocks.push(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  })().catch((error: unknown) => {
    if (!controller.signal.aborted) failure = error;
  });
  return {
    response,
    /** The `next` events so far, pings left out. */
    events: () => {
      if (failure) throw failure;
      return blocks.filter((block) => !block.startsWith(':'));
    },
    close: () => controller.abort(),
  };
}

const eventsQuery = /* GraphQL */ `subscription { notificationEvents { __typename cursor unreadCount ... on NotificationCreated { notification { id title body read } } } }`;

describe('streams served straight to the socket', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ trustedOrigins: ['http://a.example', 'http://b.example'] });
  });
  afterAll(async () => server?.dispose());

  it('serve JSON POST and GET subscriptions, and leave nothing behind when their clients leave', async () => {
    const alice = await signUp(server);
    const before = server.app.directStreams.open;
    const posted = subscribe(server, alice.headers);
    await posted.next();
    const got = await openRaw(`${server.url}/graphql?query=${encodeURIComponent(eventsQuery)}`, {
      headers: { ...alice.headers, accept: 'text/event-stream' },
    });
    await expect.poll(() => got.events().length).toBe(1);
    expect(server.app.directStreams.open).toBe(before + 2);

    const sent = await notify(server, alice.headers, { title: 'both' });
    expect(await posted.next()).toMatchObject({ __typename: 'NotificationCreated', notification: { id: sent.id } });
    await expect.poll(() => got.events().length).toBe(2);
    expect(got.events()[1]).toMatch(new RegExp(`^id: 1\nevent: next\ndata: .*"id":"${sent.id}"`));

    posted.dispose();
    got.close();
    await expect.poll(() => server.app.directStreams.open).toBe(before);
    await expect.poll(() => server.app.streams.stats().totalConnections).toBe(0);
    expect(server.app.pubsub.listenerCount()).toBe(0);
  });

  it("write the same bytes as Yoga's own writer for the same event", async () => {
    const alice = await signUp(server);
    const headers = { ...alice.headers, accept: 'text/event-stream' };
    const direct = await openRaw(`${server.url}/graphql`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ query: eventsQuery }),
    });
    // A body of type application/graphql is one this module leaves to Yoga.
    const before = server.app.directStreams.open;
    const throughYoga = await openRaw(`${server.url}/graphql`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/graphql' },
      body: eventsQuery,
    });
    await expect.poll(() => [direct.events().length, throughYoga.events().length]).toEqual([1, 1]);
    expect(server.app.directStreams.open).toBe(before);
    expect(throughYoga.response.headers.get('content-type')).toBe(direct.response.headers.get('content-type'));

    await notify(server, alice.headers, { title: 'same', body: 'bytes' });
    await expect.poll(() => [direct.events().length, throughYoga.events().length]).toEqual([2, 2]);
    expect(direct.events()[1]).toMatch(
      /^id: 1\nevent: next\ndata: \{"data":\{"notificationEvents":\{"__typename":"NotificationCreated"/,
    );
    expect(direct.events()[1]).toMatch(/"extensions":\{"cursor":"1"\}\}$/);
    expect(throughYoga.events()[1]).toBe(direct.events()[1]);
    direct.close();
    throughYoga.close();
  });

  it("give each of a user's tabs the fields its own document selects", async () => {
    const alice = await signUp(server);
    const titles = subscribe(
      server,
      alice.headers,
      'distinct',
      /* GraphQL */ `
      subscription { notificationEvents { __typename ... on NotificationCreated { notification { title } } } }
    `,
    );
    const bodies = subscribe(
      server,
      alice.headers,
      'distinct',
      /* GraphQL */ `
      subscription { notificationEvents { __typename ... on NotificationCreated { notification { body } } } }
    `,
    );
    const sameAsTitles = subscribe(
      server,
      alice.headers,
      'distinct',
      /* GraphQL */ `
      subscription { notificationEvents { __typename ... on NotificationCreated { notification { title } } } }
    `,
    );
    for (const tab of [titles, bodies, sameAsTitles]) await tab.next();

    await notify(server, alice.headers, { title: 'T', body: 'B' });
    expect(await titles.next()).toEqual({ __typename: 'NotificationCreated', notification: { title: 'T' } });
    expect(await bodies.next()).toEqual({ __typename: 'NotificationCreated', notification: { body: 'B' } });
    expect(await sameAsTitles.next()).toEqual({ __typename: 'NotificationCreated', notification: { title: 'T' } });
    for (const tab of [titles, bodies, sameAsTitles]) tab.dispose();
  });

  it("answer cross-origin streams with Yoga's CORS headers", async () => {
    const alice = await signUp(server);
    for (const origin of ['http://b.example', 'http://evil.example']) {
      const stream = await openRaw(`${server.url}/graphql`, {
        method: 'POST',
        headers: { ...alice.headers, origin, accept: 'text/event-stream', 'content-type': 'application/json' },
        body: JSON.stringify({ query: eventsQuery }),
      });
      const query = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { ...alice.headers, origin, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ me { id } }' }),
      });
      await query.body?.cancel();
      expect(stream.response.status).toBe(200);
      for (const name of [
        'access-control-allow-origin',
        'access-control-allow-credentials',
        'access-control-allow-headers',
        'vary',
      ]) {
        expect([name, stream.response.headers.get(name)]).toEqual([name, query.headers.get(name)]);
      }
      stream.close();
    }
  });

  it("leave requests that fail before the stream opens to Yoga's answers", async () => {
    const alice = await signUp(server);
    const post = (body: unknown, headers: Record<string, string> = alice.headers) =>
      fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { ...headers, accept: 'text/event-stream', 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });

    const syntax = await post({ query: 'subscription { notificationEvents {' });
    expect(await syntax.text()).toContain('Syntax Error');
    const unknownField = await post({ query: 'subscription { notificationEvents { nope } }' });
    expect(await unknownField.text()).toContain('Cannot query field \\"nope\\"');
    const badVariable = await post({
      query: 'subscription ($after: String) { notificationEvents(after: $after) { cursor } }',
      variables: { after: 5 },
    });
    expect(await badVariable.text()).toContain('Variable \\"$after\\" got invalid value 5');
    const notJson = await post('{ not json');
    expect(await notJson.text()).toContain('POST body sent invalid JSON.');
    const anonymous = await post({ query: eventsQuery }, {});
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
    // A query over SSE is Yoga's too: one result, then complete.
    const me = await post({ query: '{ me { id } }' });
    expect(await me.text()).toMatch(
      new RegExp(`event: next\ndata: \\{"data":\\{"me":\\{"id":"${alice.id}"\\}\\}\\}\n\nevent: complete`),
    );
    expect(server.app.directStreams.open).toBe(0);
  });

  it('refuse a request body over 64 KiB with 413, and carry on', async () => {
    const alice = await signUp(server);
    const huge = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { ...alice.headers, accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ query: `subscription { notificationEvents { cursor } } # ${'x'.repeat(70_000)}` }),
    });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toEqual({ errors: [{ message: 'The request body is larger than 65536 bytes.' }] });
    expect((await gql(server, '{ me { id } }', {}, alice.headers)).data?.me).toEqual({ id: alice.id });
  });
});
