import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, type GraphQLResponse } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';

const token = 'an-operator-metrics-token';

describe('/metrics', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.dispose()));
  });
  const start = async (...args: Parameters<typeof startServer>) => {
    const server = await startServer(...args);
    servers.push(server);
    return server;
  };

  it('is not served at all unless an operator turns it on', async () => {
    const server = await start();
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    expect(server.app.metricsUrl).toBeNull();
  });

  it('with TIDINGS_METRICS_TOKEN, the main port serves it to the bearer of the token only', async () => {
    const server = await start({ metricsToken: token });
    for (const authorization of [
      undefined,
      'Bearer wrong-token-of-some-length',
      `Basic ${token}`,
      `Bearer ${token}x`,
    ]) {
      const response = await fetch(`${server.url}/metrics`, authorization ? { headers: { authorization } } : {});
      expect(response.status, authorization).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await response.json()) as GraphQLResponse).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^tidings_open_streams 0$/m);
  });

  it('with TIDINGS_METRICS_PORT, a loopback listener serves it without a token, and stops with the app', async () => {
    const server = await start({ metricsPort: 0 });
    const metricsUrl = server.app.metricsUrl;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(metricsUrl).not.toBe(server.url);
    const response = await fetch(`${metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toMatch(/^tidings_open_streams 0$/m);
    // It serves nothing else, and the main port still does not serve /metrics.
    expect((await fetch(`${metricsUrl}/graphql`)).status).toBe(404);
    expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);

    await server.stop();
    await expect(fetch(`${metricsUrl}/metrics`)).rejects.toThrow();
  });

  it('is the same page on both listeners when both are on', async () => {
    const server = await start({ metricsPort: 0, metricsToken: token });
    const page = async (url: string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${url}/metrics`, { headers });
      const names = (await response.text()).match(/^# TYPE \S+/gm);
      return { status: response.status, type: response.headers.get('content-type'), names };
    };
    const loopback = await page(server.app.metricsUrl as string);
    expect(loopback.names).toContain('# TYPE tidings_open_streams');
    expect(await page(server.url, { authorization: `Bearer ${token}` })).toEqual(loopback);
  });
});

describe('introspection', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.dispose());

  /** As GraphiQL sends it: POSTed JSON with its Accept header; and with plain JSON. */
  async function introspect(query: string) {
    const answers: GraphQLResponse[] = [];
    for (const accept of ['application/graphql-response+json, application/json, multipart/mixed', 'application/json']) {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept },
        body: JSON.stringify({ query, operationName: 'IntrospectionQuery' }),
      });
      answers.push({ status: response.status, ...((await response.json()) as object) });
    }
    return answers;
  }

  it("graphql's and GraphiQL's introspection queries still work", async () => {
    const graphiql = {
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    };
    for (const options of [undefined, graphiql]) {
      for (const result of await introspect(getIntrospectionQuery(options))) {
        expect(result.errors).toBeUndefined();
        expect(result.data).toMatchObject({ __schema: { queryType: { name: 'Query' } } });
      }
    }
  });

  it('a __schema or __type query nested deeper than that is refused with QUERY_TOO_DEEP', async () => {
    const ofTypes = (n: number) => `${'{ ofType '.repeat(n)}{ name }${' }'.repeat(n)}`;
    for (const query of [
      `query IntrospectionQuery { __schema { types { fields { type ${ofTypes(20)} } } } }`,
      `query IntrospectionQuery { __schema { queryType { fields { type ${ofTypes(20)} } } } }`,
      `query IntrospectionQuery { __type(name: "Query") { fields { type ${ofTypes(12)} } } }`,
    ]) {
      for (const result of await introspect(query)) {
        expect(codes(result), query).toEqual(['QUERY_TOO_DEEP']);
        expect(result.data ?? null).toBeNull();
      }
    }
  });
});
