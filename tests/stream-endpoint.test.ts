import { type IncomingMessage, request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './helpers/auth.ts';
import { bigEvent } from './helpers/events.ts';
import { notify } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { openRawStream as openRaw, subscribe } from './helpers/sse.ts';

// Distinct-connection streams (GET and JSON POST) are served below Yoga's HTTP layer by
// server/http/stream-endpoint.ts; everything else on /graphql goes through Yoga, whose own SSE
// writer (the rare stream it serves) writes the same frames. These tests hold the two to the
// same answers.

const eventsQuery = /* GraphQL */ `subscription { notificationEvents { __typename cursor unreadCount ... on NotificationCreated { notification { id title body read } } } }`;

describe('streams served straight to the socket', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ trustedOrigins: ['http://a.example', 'http://b.example'] });
  });
  afterAll(async () => server?.dispose());

  it('serve JSON POST and GET subscriptions, and leave nothing behind when their clients leave', async () => {
    const alice = await signUp(server);
    const before = server.app.streamEndpoint.openStreams;
    const posted = subscribe(server, alice.headers);
    await posted.next();
    const got = await openRaw(`${server.url}/graphql?query=${encodeURIComponent(eventsQuery)}`, {
      headers: { ...alice.headers, accept: 'text/event-stream' },
    });
    await expect.poll(() => got.events().length).toBe(1);
    expect(server.app.streamEndpoint.openStreams).toBe(before + 2);

    const sent = await notify(server, alice.headers, { title: 'both' });
    expect(await posted.next()).toMatchObject({ __typename: 'NotificationCreated', notification: { id: sent.id } });
    await expect.poll(() => got.events().length).toBe(2);
    expect(got.events()[1]).toMatch(new RegExp(`^id: 1\nevent: next\ndata: .*"id":"${sent.id}"`));

    posted.dispose();
    got.close();
    await expect.poll(() => server.app.streamEndpoint.openStreams).toBe(before);
    await expect.poll(() => server.app.streams.stats().totalConnections).toBe(0);
    expect(server.app.pubsub.listenerCount()).toBe(0);
  });

  it.each([
    ['served here', 'application/json', JSON.stringify({ query: eventsQuery })],
    ['served by Yoga', 'application/graphql', eventsQuery],
  ])('leave nothing behind for clients that leave before their stream opens (%s)', async (_, type, body) => {
    const alice = await signUp(server);
    const head = [
      'POST /graphql HTTP/1.1',
      `host: ${new URL(server.url).host}`,
      'accept: text/event-stream',
      `content-type: ${type}`,
      `content-length: ${Buffer.byteLength(body)}`,
      `cookie: ${alice.headers.cookie}`,
    ].join('\r\n');
    for (let i = 0; i < 30; i++) {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.end(`${head}\r\n\r\n${body}`);
      socket.destroy();
    }
    await expect.poll(() => server.app.streams.stats().totalConnections, { timeout: 5_000 }).toBe(0);
    await expect.poll(() => server.app.streamEndpoint.openStreams).toBe(0);
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
    const before = server.app.streamEndpoint.openStreams;
    const throughYoga = await openRaw(`${server.url}/graphql`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/graphql' },
      body: eventsQuery,
    });
    await expect.poll(() => [direct.events().length, throughYoga.events().length]).toEqual([1, 1]);
    expect(server.app.streamEndpoint.openStreams).toBe(before);
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
    // Only trusted origins: an untrusted one with a session cookie is refused before either path
    // (tests/http-limits.test.ts).
    for (const origin of ['http://a.example', 'http://b.example']) {
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
    expect(server.app.streamEndpoint.openStreams).toBe(0);
  });

  it('leave bodies over 64 KiB to Yoga, which serves them as before', async () => {
    const alice = await signUp(server);
    const before = server.app.streamEndpoint.openStreams;
    const big = await openRaw(`${server.url}/graphql`, {
      method: 'POST',
      headers: { ...alice.headers, accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ query: `subscription { notificationEvents { cursor } } # ${'x'.repeat(70_000)}` }),
    });
    await expect.poll(() => big.events().length).toBe(1);
    expect(big.events()[0]).toMatch(/^event: next\ndata: \{"data":\{"notificationEvents":\{"cursor":""\}\}/);
    expect(server.app.streamEndpoint.openStreams).toBe(before);
    big.close();
  });
});

describe('queries and mutations: Yoga alone', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.dispose());

  it('refuses what it must: unknown parameters, batches, bad documents, and opens no stream for them', async () => {
    const alice = await signUp(server);
    const post = async (body: string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...alice.headers, ...headers },
        body,
      });
      return { status: response.status, text: await response.text() };
    };
    expect(await post(JSON.stringify({ query: '{ me { id } }', foo: 1 }))).toMatchObject({
      status: 400,
      text: expect.stringContaining('Unexpected parameter \\"foo\\" in the request body.'),
    });
    expect((await post(JSON.stringify([{ query: '{ me { id } }' }]))).text).toContain('Batching is not supported');
    expect((await post(JSON.stringify({ query: '{ me { nope } }' }))).text).toContain('Cannot query field');
    expect((await post(JSON.stringify({ query: '{ me {' }))).text).toContain('Syntax Error');
    expect((await post('not json')).status).toBe(400);
    expect(server.app.streamEndpoint.openStreams).toBe(0);
  });
});

describe('a piped stream whose client stops reading', () => {
  /** A stream over node:http, whose reading the test pauses and resumes; collects the SSE ids. */
  async function openStream(server: TestServer, headers: Record<string, string>) {
    const body = JSON.stringify({ query: eventsQuery });
    const ids: number[] = [];
    let ready = false;
    let ended = false;
    let buffer = '';
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(`${server.url}/graphql`, {
        method: 'POST',
        headers: {
          ...headers,
          accept: 'text/event-stream',
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      });
      req.on('response', resolve).on('error', reject).end(body);
    });
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (\d+)$/m.exec(block)?.[1];
        if (id) ids.push(Number(id));
        if (block.includes('NotificationStreamReady')) ready = true;
      }
    });
    const closed = new Promise<void>((resolve) => {
      response.on('close', () => {
        ended = true;
        resolve();
      });
      response.on('error', () => undefined);
    });
    await expect.poll(() => ready).toBe(true);
    return { response, ids, closed, ended: () => ended };
  }

  it('holds its events while the socket is full and writes them all, in order, once the client reads on', async () => {
    const server = await startServer({ streamMaxBufferBytes: 64 * 1024 * 1024 });
    try {
      const alice = await signUp(server);
      const stream = await openStream(server, alice.headers);
      stream.response.pause();
      // 32 MB: more than the kernel's socket buffers hold, so the response stops taking writes.
      for (let seq = 1; seq <= 4_000; seq++) server.app.pubsub.publish(alice.id, bigEvent(alice.id, seq));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(stream.ids.length).toBeLessThan(4_000);
      stream.response.resume();
      await expect.poll(() => stream.ids.length, { timeout: 15_000 }).toBe(4_000);
      expect(stream.ids).toEqual(Array.from({ length: 4_000 }, (_, i) => i + 1));
      expect(stream.ended()).toBe(false);
      stream.response.destroy();
    } finally {
      await server.dispose();
    }
  });

  it('is cut off once what it holds passes TIDINGS_STREAM_MAX_BUFFER_BYTES, and nothing is left behind', async () => {
    const server = await startServer({ streamMaxBufferBytes: 256 * 1024 });
    try {
      const alice = await signUp(server);
      const stream = await openStream(server, alice.headers);
      stream.response.pause();
      for (let seq = 1; seq <= 4_000; seq++) server.app.pubsub.publish(alice.id, bigEvent(alice.id, seq));
      expect(server.logs.filter((line) => line.msg === 'slow consumer disconnected')).toHaveLength(1);
      stream.response.resume();
      await stream.closed;
      expect(stream.ids.length).toBeLessThan(4_000);
      await expect.poll(() => server.app.streams.stats().totalConnections).toBe(0);
      await expect.poll(() => server.app.streamEndpoint.openStreams).toBe(0);
      expect(server.app.pubsub.listenerCount()).toBe(0);
    } finally {
      await server.dispose();
    }
  });
});
