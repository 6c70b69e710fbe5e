import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useGraphQLSSE } from '@graphql-yoga/plugin-graphql-sse';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { getOperationAST, parse } from 'graphql';
import { createYoga, type GraphQLParams, type Plugin } from 'graphql-yoga';
import { type Auth, createAuth } from './auth.ts';
import type { Config } from './config.ts';
import { type Context, createViewerResolver, lastEventIdOf, type Viewer } from './context.ts';
import { connectDatabase, type Db } from './db.ts';
import { createDirectHttp } from './direct-http.ts';
import { unauthenticated } from './errors.ts';
import { createLogger, errorFields, type Logger } from './log.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { migrate } from './migrate.ts';
import { createNotificationService, type NotificationService } from './notifications.ts';
import { createNotificationPubSub, type NotificationPubSub } from './pubsub.ts';
import { useMutationRateLimit } from './rate-limit.ts';
import { startRetention } from './retention.ts';
import { schema } from './schema/index.ts';
import { createSingleConnection } from './single-connection.ts';
import { useResumableSSE } from './sse.ts';
import { createStreamTokens } from './stream-tokens.ts';
import { StreamRegistry } from './streams.ts';
import { loadWebClient } from './web-client.ts';

export interface App {
  /** Listens on the configured port (0: any free one) and resolves with the server's base URL. */
  start(): Promise<string>;
  /** Completes every stream, stops accepting, waits for requests in flight, closes the database. */
  stop(): Promise<void>;
  readonly url: string;
  readonly db: Db;
  readonly auth: Auth;
  readonly streams: StreamRegistry;
  /** What direct-http.ts serves below Yoga's HTTP layer: streams open now, operations run so far. */
  readonly direct: { readonly openStreams: number; readonly operations: number };
  /** graphql-sse's single-connection reservations held now (see single-connection.ts). */
  readonly singleConnection: { readonly reservations: number };
  readonly notifications: NotificationService;
  readonly pubsub: NotificationPubSub;
  readonly log: Logger;
  readonly retention: ReturnType<typeof startRetention>;
}

const defaultQuery = /* GraphQL */ `# Welcome to Tidings. Requests need a session cookie (sign in through /api/auth)
# or an API key: open the Headers tab below and add {"x-api-key": "tid_…"}.

subscription Live {
  notificationEvents {
    __typename
    cursor
    unreadCount
    ... on NotificationCreated { notification { id title body createdAt } }
  }
}

mutation Send {
  createNotification(input: { title: "Hello from GraphiQL" }) { id title createdAt }
}
`;

/**
 * Builds the Tidings server: migrates the database, then wires Prisma, Better Auth, the pub/sub,
 * the stream registry and Yoga behind one HTTP listener. Nothing listens until `start()`.
 */
export async function buildApp(config: Config, log: Logger = createLogger(config.logLevel)): Promise<App> {
  const migrated = await migrate(config.databaseUrl);
  if (migrated.applied.length > 0) log.info('database migrated', { applied: migrated.applied });
  const db = await connectDatabase(config.databaseUrl);
  const metrics = createMetrics();
  const webClient = config.webDir ? loadWebClient(config.webDir) : null;
  if (config.webDir && !webClient) {
    log.info('no web client build; / leads to GraphiQL (npm start builds it)', { webDir: config.webDir });
  }
  const pubsub = createNotificationPubSub({
    redisUrl: config.redisUrl ?? undefined,
    log,
    metrics,
    // Called from a timer, once the registry below exists.
    localStats: () => registry.stats(),
  });
  const registry = new StreamRegistry({
    db,
    pubsub,
    log,
    metrics,
    heartbeatMs: config.heartbeatMs,
    maxBufferBytes: config.streamMaxBufferBytes,
    maxStreamsPerUser: config.maxStreamsPerUser,
    credentialCheckMs: config.credentialCheckMs,
  });
  pubsub.onReconnect(() => registry.catchUpAll());
  const notifications = createNotificationService(db, pubsub, metrics);
  const auth = createAuth(config, db, log, {
    onSessionDeleted: (sessionId) => registry.endSessions([sessionId], 'SESSION_REVOKED'),
  });
  const viewerOf = createViewerResolver({ auth, db });
  const singleConnection = createSingleConnection({
    endpoint: '/graphql/stream',
    streams: registry,
    tokens: createStreamTokens(config.authSecret),
    viewerOf,
    maxBufferBytes: config.streamMaxBufferBytes,
    reservationTtlMs: config.streamReservationTtlMs,
    log,
    // Called from a timer, once Yoga below exists.
    fetch: (request) => Promise.resolve(yoga.fetch(request)),
  });
  const retention = startRetention(db, config.eventRetentionHours, log);
  const cors = {
    origin: config.trustedOrigins,
    credentials: true,
    allowedHeaders: ['content-type', 'x-api-key', 'x-graphql-event-stream-token', 'last-event-id'],
    methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
  };

  const contextOf = (viewer: Viewer | null, res: Context['res'], lastEventId: string | null): Context => ({
    db,
    notifications,
    streams: registry,
    pubsub,
    viewer,
    lastEventId,
    res,
    // Declared up front, so the resolver's write does not reshape a context held for a stream's life.
    streamCursor: undefined,
  });

  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: { title: 'Tidings GraphiQL', defaultQuery, subscriptionsProtocol: 'SSE' },
    renderGraphiQL,
    cors,
    logging: {
      debug: (...args) => log.debug(String(args[0])),
      info: (...args) => log.info(String(args[0])),
      warn: (...args) => log.warn(String(args[0])),
      error: (...args) => log.error(String(args[0]), args[1] === undefined ? undefined : errorFields(args[1])),
    },
    context: async ({ request, params, ...serverContext }): Promise<Context> => {
      const viewer = await viewerOf(request);
      // A subscription without credentials is refused before its stream opens: HTTP 401.
      if (!viewer && isSubscription(params)) throw unauthenticated();
      // On the stream endpoint, streams write through graphql-sse's queue: that is their connection.
      const connection = singleConnection.connectionOf(request) ?? (serverContext as { res?: Context['res'] }).res;
      return {
        ...contextOf(viewer, connection, lastEventIdOf(request)),
        signal: request.signal,
        streamReservation: singleConnection.reservationOf(request),
      };
    },
    plugins: [
      EnvelopArmorPlugin({
        maxDepth: { n: 10 },
        maxAliases: { n: 15 },
        maxDirectives: { n: 20 },
        maxTokens: { n: 2_000 },
        costLimit: { maxCost: 5_000 },
        blockFieldSuggestion: { enabled: config.production },
      }),
      // Single-connection mode: tokens bound to their user, reservations counted and expired, and
      // every event stream here bounded by the slow-consumer limit (single-connection.ts).
      useGraphQLSSE({ endpoint: '/graphql/stream', ...singleConnection.handlerOptions }),
      singleConnection.plugin,
      useMutationRateLimit({ perUser: config.rateLimitPerMinute, perApiKey: config.apiKeyRateLimitPerMinute }, metrics),
      useResumableSSE(),
      routes({ db, auth, pubsub, metrics, webClient }),
      streamHeaders(),
    ],
  });

  const direct = createDirectHttp({ yoga, schema, endpoint: '/graphql', cors, viewerOf, contextOf, log });
  const server = createServer(direct.handle);
  const inFlight = trackResponses(server);
  let url = '';

  return {
    get url() {
      return url;
    },
    db,
    auth,
    streams: registry,
    direct,
    singleConnection,
    notifications,
    pubsub,
    log,
    retention,
    start: () =>
      new Promise<string>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const { port } = server.address() as AddressInfo;
          url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
          log.info('listening', { url, database: config.provider });
          resolve(url);
        });
      }),
    async stop() {
      // Stop accepting first, then complete every stream (clients see `complete` and reconnect
      // elsewhere), then wait for the responses in flight, streams included, to finish.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      retention.stop();
      singleConnection.stop();
      registry.closeAll();
      await inFlight.drained(5_000);
      server.closeAllConnections(); // only idle keep-alive connections are left
      await closed;
      await yoga.dispose();
      await pubsub.close();
      await db.$disconnect();
      log.info('stopped');
    },
  };
}

/** Better Auth under /api/auth, the health checks and the metrics. */
function routes({
  db,
  auth,
  pubsub,
  metrics,
  webClient,
}: {
  db: Db;
  auth: Auth;
  pubsub: NotificationPubSub;
  metrics: Metrics;
  webClient: ReturnType<typeof loadWebClient>;
}): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      if (url.pathname.startsWith('/api/auth/')) {
        endResponse(await auth.handler(request));
      } else if (url.pathname === '/healthz') {
        endResponse(Response.json({ status: 'ok' }));
      } else if (url.pathname === '/readyz') {
        endResponse(await readiness(db, pubsub));
      } else if (url.pathname === '/metrics') {
        endResponse(
          new Response(await metrics.registry.metrics(), { headers: { 'content-type': metrics.registry.contentType } }),
        );
      } else if (webClient && !url.pathname.startsWith('/graphql')) {
        const file = webClient(request, url);
        if (file) endResponse(file);
      } else if (url.pathname === '/') {
        endResponse(Response.redirect(new URL('/graphql', url), 302));
      }
    },
  };
}

/** 200 when the database (and Redis, when configured) answer; 503 and what is down otherwise. */
async function readiness(db: Db, pubsub: NotificationPubSub): Promise<Response> {
  const database = await db.$queryRawUnsafe('SELECT 1').then(
    () => 'ok',
    () => 'unreachable',
  );
  const redis = pubsub.redisState();
  const ready = database === 'ok' && redis !== 'disconnected';
  return Response.json(
    {
      status: ready ? 'ready' : 'unavailable',
      database,
      ...(redis ? { redis: redis === 'connected' ? 'ok' : 'unreachable' } : {}),
    },
    { status: ready ? 200 : 503 },
  );
}

/**
 * Event streams must reach the client as they are written: no proxy caching or buffering. Our own
 * SSE writer (sse.ts) sets these already; this covers the streams it does not write: graphql-sse's
 * single-connection mode and Yoga's one-result error streams.
 */
function streamHeaders(): Plugin {
  return {
    onResponse({ response }) {
      if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
        // delete() first: @whatwg-node's Headers would otherwise keep Yoga's "Cache-Control" beside
        // a lower-cased copy, and send both.
        response.headers.delete('cache-control');
        response.headers.set('cache-control', 'no-cache, no-transform');
        response.headers.set('x-accel-buffering', 'no');
      }
    },
  };
}

function isSubscription(params: GraphQLParams): boolean {
  if (!params.query) return false;
  try {
    return getOperationAST(parse(params.query), params.operationName)?.operation === 'subscription';
  } catch {
    return false; // Yoga answers the syntax error itself.
  }
}

/** Counts responses not finished yet, so shutdown can wait for them (with a deadline). */
function trackResponses(server: Server) {
  let open = 0;
  let onIdle: (() => void) | undefined;
  // One listener for every response (a response closes once): `once` would wrap it per response.
  const onClose = () => {
    open--;
    if (open === 0) onIdle?.();
  };
  server.on('request', (_request, response: ServerResponse) => {
    open++;
    response.on('close', onClose);
  });
  return {
    drained(timeoutMs: number) {
      if (open === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}
