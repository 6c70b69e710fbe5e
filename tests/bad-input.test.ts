import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, signUp, type TestUser } from './helpers/auth.ts';
import { codes, createNotification, type GraphQLResponse, gql } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';

/** Two Accept headers that negotiate to the same answer: both must be refused alike. */
const plainJson = 'application/json';
const listed = 'application/json, text/plain;q=0.5';
const subscription = 'subscription { notificationEvents { __typename } }';
const markRead = /* GraphQL */ `mutation ($id: ID!) { markNotificationRead(id: $id) { id } }`;
const remove = /* GraphQL */ `mutation ($id: ID!) { deleteNotification(id: $id) }`;

/** `depth` arrays around 1, as JSON text: built as text, since JSON.stringify recurses. */
const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

let server: TestServer;
let alice: TestUser;
let service: Record<string, string>;

beforeAll(async () => {
  server = await startServer();
  alice = await signUp(server);
  service = await createApiKey(server, await signUp(server, { name: 'Service' }));
});
afterAll(async () => server?.dispose());

/** The answer to a request, its body parsed: JSON, or the first `data:` of an event stream. */
async function answer(path: string, init: RequestInit = {}): Promise<GraphQLResponse> {
  const response = await fetch(`${server.url}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  const body = response.headers.get('content-type')?.startsWith('text/event-stream')
    ? text
        .split('\n')
        .find((line) => line.startsWith('data: '))
        ?.slice('data: '.length)
    : text;
  return { status: response.status, ...JSON.parse(body ?? 'null') };
}

function post(body: string, accept: string, headers: Record<string, string> = {}) {
  return answer('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept, ...alice.headers, ...headers },
    body,
  });
}

function createWith(input: Record<string, unknown>, headers: Record<string, string> = alice.headers) {
  return gql(server, createNotification, { input }, headers);
}

describe('GraphQL parameters that cannot be read', () => {
  it('GET: variables or extensions that are not JSON answer 400 BAD_REQUEST naming the parameter, on every path', async () => {
    for (const param of ['variables', 'extensions']) {
      for (const accept of ['application/json', 'application/graphql-response+json', 'text/event-stream']) {
        const query = accept === 'text/event-stream' ? subscription : '{ __typename }';
        const search = new URLSearchParams({ query, [param]: '{bad' });
        const result = await answer(`/graphql?${search}`, { headers: { accept, ...alice.headers } });
        expect(result.status, `${param} ${accept}`).toBe(400);
        expect(result.errors?.[0]?.extensions, `${param} ${accept}`).toMatchObject({
          code: 'BAD_REQUEST',
          field: param,
        });
      }
    }
  });

  it('a form body with variables that are not JSON answers 400 BAD_REQUEST naming variables', async () => {
    // Without a cookie: one that carries a cookie is refused before it is read (415, tests/http-limits.test.ts).
    const result = await answer('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: '{ __typename }', variables: '{bad' }).toString(),
    });
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_REQUEST', field: 'variables' });
  });

  it('POST: broken bodies get the same answer for either Accept header, never a 500', async () => {
    const bodies = [
      '{bad',
      '[1',
      '"a string"',
      JSON.stringify({ query: '{ __typename }', variables: [1] }),
      JSON.stringify({ query: '{ __typename }', variables: 'x' }),
      JSON.stringify({ query: '{ __typename }', extensions: 'x' }),
      JSON.stringify({ query: '{ __typename }', extensions: [1] }),
      JSON.stringify({ query: 1 }),
      // Variables nested far deeper than any input takes, left unused by the query.
      `{"query":"{ __typename }","variables":{"deep":${nested(20_000)}}}`,
    ];
    for (const body of bodies) {
      const here = await post(body, plainJson);
      const yoga = await post(body, listed);
      expect(here.status, body.slice(0, 60)).toBeLessThan(500);
      expect(here, body.slice(0, 60)).toEqual(yoga);
    }
  });
});

describe('notification input the database would choke on', () => {
  it('a data value nested deeper than 32 arrays or objects answers BAD_USER_INPUT naming data', async () => {
    const query = createNotification.replace(/\s+/g, ' ');
    for (const depth of [33, 2_000, 20_000]) {
      const body = `{"query":${JSON.stringify(query)},"variables":{"input":{"title":"deep","data":${nested(depth)}}}}`;
      for (const accept of [plainJson, listed]) {
        const result = await post(body, accept);
        expect(codes(result), `${depth} ${accept}`).toEqual(['BAD_USER_INPUT']);
        expect(result.errors?.[0]?.extensions?.field).toBe('data');
      }
    }
    // Written into the document instead of a variable: the same answer.
    const literal = await gql(
      server,
      `mutation { createNotification(input: { title: "deep", data: ${nested(33)} }) { id } }`,
      {},
      alice.headers,
    );
    expect(codes(literal)).toEqual(['BAD_USER_INPUT']);
    expect(literal.errors?.[0]?.extensions?.field).toBe('data');

    const deepest = JSON.parse(`{"a":${nested(31)}}`);
    const stored = await createWith({ title: 'as deep as allowed', data: deepest });
    expect(stored.errors).toBeUndefined();
    expect(stored.data?.createNotification.data).toEqual(deepest);
  });

  it('NUL characters and unpaired surrogates answer BAD_USER_INPUT naming the field, and nothing is stored', async () => {
    const before = await server.app.db.prisma.notification.count();
    const cases: [field: string, input: Record<string, unknown>][] = [];
    for (const bad of ['\u0000', '\uD800', '\uDFFF']) {
      cases.push(
        ['title', { title: `a${bad}b` }],
        ['body', { title: 't', body: `a${bad}b` }],
        ['kind', { title: 't', kind: `a${bad}b` }],
        ['url', { title: 't', url: `https://example.com/${bad}` }],
        ['data', { title: 't', data: { note: `a${bad}b` } }],
        ['data', { title: 't', data: { [`key${bad}`]: 1 } }],
        ['data', { title: 't', data: [1, { list: ['fine', `a${bad}`] }] }],
      );
    }
    for (const [field, input] of cases) {
      const result = await createWith(input);
      expect(codes(result), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors?.[0]?.extensions?.field, JSON.stringify(input)).toBe(field);
    }
    // Those who may name a recipient name one the same way.
    for (const [field, input] of [
      ['recipientEmail', { title: 't', recipientEmail: 'a\u0000@example.com' }],
      ['recipientId', { title: 't', recipientId: 'a\uD800' }],
    ] as const) {
      const result = await createWith(input, service);
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors?.[0]?.extensions?.field).toBe(field);
    }
    for (const mutation of [markRead, remove]) {
      for (const id of ['a\u0000', '\uDC00x']) {
        const result = await gql(server, mutation, { id }, alice.headers);
        expect(codes(result)).toEqual(['BAD_USER_INPUT']);
        expect(result.errors?.[0]?.extensions?.field).toBe('id');
      }
    }
    expect(await server.app.db.prisma.notification.count()).toBe(before);
  });

  it('characters outside the Basic Multilingual Plane (surrogate pairs) are kept as sent', async () => {
    const input = { title: 'bell 🔔', body: '𝄞 clef', data: { '🔑': ['🎉', { deeper: '😀' }] } };
    const result = await createWith(input);
    expect(result.errors).toBeUndefined();
    expect(result.data?.createNotification).toMatchObject(input);
  });
});

describe("the query limits' refusals carry a code", () => {
  const repeat = (count: number, text: (i: number) => string) =>
    Array.from({ length: count }, (_, i) => text(i)).join(' ');
  const edges = 'edges { node { id title body kind url data read readAt createdAt recipientId } }';
  const refusals: [code: string, query: string][] = [
    ['TOO_MANY_ALIASES', `{ ${repeat(16, (i) => `a${i}: me { id }`)} }`],
    ['TOO_MANY_DIRECTIVES', `{ __typename ${repeat(21, () => '@skip(if: false)')} }`],
    [
      'QUERY_TOO_DEEP',
      `{ __type(name: "Query") { fields { type ${repeat(9, () => '{ ofType')} { name } ${repeat(9, () => '}')} } } }`,
    ],
    ['TOO_MANY_TOKENS', `{ ${repeat(2_001, () => '__typename')} }`],
    ['QUERY_TOO_COSTLY', `{ ${repeat(5, (i) => `n${i}: notifications(first: 100) { ${edges} }`)} }`],
  ];

  it('too many aliases, directives or tokens, too deep or too costly: each has its code, whatever the Accept header', async () => {
    for (const [code, query] of refusals) {
      for (const accept of [plainJson, listed]) {
        const result = await post(JSON.stringify({ query }), accept);
        expect(codes(result), `${code} ${accept}`).toEqual([code]);
      }
    }
  });
});
