import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useGraphQLSSE } from '@graphql-yoga/plugin-graphql-sse';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { getCORSHeadersByRequestAndOptions } from '@whatwg-node/server';
import { createYoga, type Plugin } from 'graphql-yoga';
import { type Auth, createAuth } from './auth/auth.ts';
import { createStreamCredentialCheck } from './auth/credentials.ts';
import { setClientAddress } from './auth/sign-in-limits.ts';
import { createStreamTokens } from './auth/stream-tokens.ts';
import { type Config, trustedOriginsOf } from './config.ts';
import { limitBody } from './http/body-limit.ts';
import { refuseCrossSite } from './http/csrf.ts';
import { documentCaches } from './http/document-cache.ts';
import { useSubscriptions } from './http/event-results.ts';
import { useMutationRateLimit } from './http/rate-limit.ts';
import { useRequestParams } from './http/request-params.ts';
import { createSingleConnection } from './http/single-connection.ts';
import { createSsePinger, type SsePinger, useResumableSSE } from './http/sse.ts';
import { createStreamEndpoint } from './http/stream-endpoint.ts';
import { loadWebClient } from './http/web-client.ts';
import { createLogger, errorFields, type Logger } from './log.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { createNotificationPubSub, type NotificationPubSub } from './realtime/pubsub.ts';
import { checkPushEndpoint, createPushAgent } from './realtime/push-endpoints.ts';
import { StreamRegistry } from './realtime/streams.ts';
import { createPushDelivery, type PushDelivery } from './realtime/web-push.ts';
import { type Context, createContextBuilder, createViewerResolver } from './schema/context.ts';
import { schema } from './schema/index.ts';
import { connectDatabase, type Database, type PrismaClient } from './store/db.ts';
import { createEventLogReader } from './store/log-reader.ts';
import { migrate } from './store/migrate.ts';
import { createNotificationService, type NotificationService } from './store/notifications.ts';
import { createPushSubscriptions, storedVapidKeys } from './store/push-subscriptions.ts';
import { startRetention } from './store/retention.ts';
import { type DueChanges, startDueChanges } from './store/timers.ts';
import { createTopics } from './store/topics.ts';

export interface App {
  /** Listens on the configured port (0: any free one) and resolves with the server's base URL. */
  start(): Promise<string>;
  /** Completes every stream, stops accepting, waits for requests in flight, closes the database. */
  stop(): Promise<void>;
  readonly url: string;
  /** The loopback listener that serves /metrics (TIDINGS_METRICS_PORT), e.g. http://127.0.0.1:9464; null when off. */
  readonly metricsUrl: string | null;
  readonly db: Database;
  readonly auth: Auth;
  readonly streams: StreamRegistry;
  /** The distinct-connection stream endpoint (stream-endpoint.ts): streams it serves now. */
  readonly streamEndpoint: { readonly openStreams: number };
  /** Pings the event streams Yoga's pipeline writes (sse.ts): this app's own, shared with no other. */
  readonly pings: Pick<SsePinger, 'size' | 'ticking'>;
  /** graphql-sse's single-connection reservations held now (see single-connection.ts). */
  readonly singleConnection: { readonly reservations: number };
  readonly notifications: NotificationService;
  readonly pubsub: NotificationPubSub;
  readonly log: Logger;
  readonly retention: ReturnType<typeof startRetention>;
  /** Logs snoozes that end and notifications that expire (store/timers.ts). */
  readonly due: DueChanges;
  /** Web push: sends new notifications to browsers with no open stream (realtime/web-push.ts). */
  readonly push: PushDelivery;
  /** The VAPID public key pushes are signed with (Query.webPushPublicKey). */
  readonly vapidPublicKey: string;
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
  const vapid = config.vapidKeys ?? (await storedVapidKeys(db));
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
    // Called after commits, once the delivery below exists.
    onPublish: (userId, event) => push.offer(userId, event),
  });
  const registry = new StreamRegistry({
    eventLog: createEventLogReader(db),
    checkCredentials: createStreamCredentialCheck(db),
    pubsub,
    log,
    metrics,
    heartbeatMs: config.heartbeatMs,
    maxBufferBytes: config.streamMaxBufferBytes,
    maxStreamsPerUser: config.maxStreamsPerUser,
    credentialCheckMs: config.credentialCheckMs,
  });
  pubsub.onReconnect(() => registry.catchUpAll());
  const pushSubscriptions = createPushSubscriptions(db);
  const push = createPushDelivery({
    targets: pushSubscriptions,
    presence: (userIds) => pubsub.listening(userIds),
    vapid: { ...vapid, subject: config.vapidSubject },
    agent: createPushAgent({ allowPrivate: config.pushAllowPrivateEndpoints, ca: config.pushCa }),
    allowPrivate: config.pushAllowPrivateEndpoints,
    isCritical: (kind) => config.criticalKinds.includes(kind),
    retryDelaysMs: config.pushRetryDelaysMs,
    log,
    metrics,
  });
  if (config.pushAllowPrivateEndpoints) {
    log.warn('TIDINGS_PUSH_ALLOW_PRIVATE_ENDPOINTS=1: push endpoints may point inside the network (for tests only)');
  }
  const notifications = createNotificationService(db, pubsub, {
    metrics,
    onScheduled: (at) => due.nudge(at),
    criticalKinds: config.criticalKinds,
  });
  const due = startDueChanges({ db, notifications, log });
  // The loopback origins name the port listened on: with PORT=0 known only once listening.
  let trustedOrigins = trustedOriginsOf(config, config.port);
  const origins = () => trustedOrigins;
  const auth = createAuth(config, db.prisma, log, {
    onSessionDeleted: (sessionId) => registry.endSessions([sessionId], 'SESSION_REVOKED'),
    onUserBanned: (userId) => registry.endUser(userId, 'USER_BANNED'),
    trustedOrigins: origins,
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
  const retention = startRetention(db.prisma, config.eventRetentionHours, log);
  const pings = createSsePinger();
  const cors = {
    get origin() {
      return origins();
    },
    credentials: true,
    allowedHeaders: ['content-type', 'x-api-key', 'x-graphql-event-stream-token', 'last-event-id'],
    methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
  };

  const contextOf = createContextBuilder({
    prisma: db.prisma,
    notifications,
    topics: createTopics(db),
    streams: registry,
    pubsub,
    push: {
      publicKey: vapid.publicKey,
      subscriptions: pushSubscriptions,
      checkEndpoint: (endpoint) => checkPushEndpoint(endpoint, { allowPrivate: config.pushAllowPrivateEndpoints }),
    },
    viewerOf,
  });

  const caches = documentCaches();
  const graphqlSse = useGraphQLSSE({ endpoint: '/graphql/stream', ...singleConnection.handlerOptions });
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // body-limit.ts holds every body to its route's limit at the Node edge, before Yoga: Yoga's
    // own limit would pipe each body through a TransformStream again (about a tenth of a mutation's CPU).
    maxRequestBodySize: false,
    // No operation takes a file, and its parser's hook is one more link in every request's chain.
    multipart: false,
    parserAndValidationCache: caches.parserAndValidationCache,
    graphiql: { title: 'Tidings GraphiQL', defaultQuery, subscriptionsProtocol: 'SSE' },
    renderGraphiQL,
    // A function: Yoga copies an object once, and the origins change when the server listens.
    cors: () => cors,
    logging: {
      debug: (...args) => log.debug(String(args[0])),
      info: (...args) => log.info(String(args[0])),
      warn: (...args) => log.warn(String(args[0])),
      error: (...args) => log.error(String(args[0]), args[1] === undefined ? undefined : errorFields(args[1])),
    },
    // Getters: only subscriptions read these, and a request's signal costs something to make.
    context: ({ request, res }: { request: Request; res?: ServerResponse }) =>
      contextOf(request, {
        get signal() {
          return request.signal;
        },
        // On the stream endpoint, streams write through graphql-sse's queue; elsewhere through the response.
        get buffer() {
          return singleConnection.bufferOf(request) ?? (res && responseBuffer(res));
        },
        get reservation() {
          return singleConnection.reservationOf(request);
        },
      }),
    plugins: [
      caches.useValidationCache(),
      useRequestParams(),
      EnvelopArmorPlugin({
        maxDepth: { n: 10, onReject: refusedAs('QUERY_TOO_DEEP') },
        maxAliases: { n: 15, onReject: refusedAs('TOO_MANY_ALIASES') },
        maxDirectives: { n: 20, onReject: refusedAs('TOO_MANY_DIRECTIVES') },
        maxTokens: { n: 2_000, onReject: refusedAs('TOO_MANY_TOKENS') },
        costLimit: { maxCost: 5_000, onReject: refusedAs('QUERY_TOO_COSTLY') },
        blockFieldSuggestion: { enabled: config.production },
      }),
      // Armor's depth limit skips `__schema`; this one counts it, with room for the standard
      // introspection query (graphql's getIntrospectionQuery() and GraphiQL's are 21 deep).
      EnvelopArmorPlugin({
        maxDepth: { n: introspectionDepth, ignoreIntrospection: false, onReject: refusedAs('QUERY_TOO_DEEP') },
        maxAliases: { enabled: false },
        maxDirectives: { enabled: false },
        maxTokens: { enabled: false },
        costLimit: { enabled: false },
        blockFieldSuggestion: { enabled: false },
      }),
      // Single-connection mode: tokens bound to their user, reservations counted and expired, and
      // every event stream here bounded by the slow-consumer limit (single-connection.ts). Its
      // request hook is called from httpHooks below.
      { onYogaInit: graphqlSse.onYogaInit },
      singleConnection.plugin,
      useMutationRateLimit({ perUser: config.rateLimitPerMinute, perApiKey: config.apiKeyRateLimitPerMinute }, metrics),
      useSubscriptions(),
      useResumableSSE(pings),
      httpHooks({
        graphqlSse,
        routes: routes({ db: db.prisma, auth, pubsub, metrics, metricsToken: config.metricsToken, webClient }),
        onResponse: singleConnection.onResponse,
      }),
    ],
  });

  const trusts = (origin: string) => origins().includes(origin);
  const corsOf = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    if (origin === undefined || !trusts(origin)) return null;
    // Only the Origin header is read: the methods and headers allowed are configured, not echoed.
    return getCORSHeadersByRequestAndOptions({ headers: new Headers({ origin }) } as Request, cors);
  };
  const streamEndpoint = createStreamEndpoint({ yoga, endpoint: '/graphql', cors, contextOf, log });
  // Taken once: calling `yoga` itself goes through its Proxy and tells a Node request from the
  // other kinds it takes, on every request.
  const yogaListener = yoga.requestListener;
  const route = (req: IncomingMessage, res: ServerResponse) => {
    if (streamEndpoint.routes(req)) streamEndpoint.serve(req, res);
    else void yogaListener(req, res);
  };
  const server = createServer((req, res) => {
    setClientAddress(req, config.trustedProxies.length > 0);
    if (refuseCrossSite(req, res, trusts, corsOf)) return;
    limitBody(req, res, route, corsOf);
  });
  const inFlight = trackResponses(server);
  const metricsServer = config.metricsPort === null ? null : createMetricsServer(metrics);
  let url = '';
  let metricsUrl: string | null = null;

  return {
    get url() {
      return url;
    },
    get metricsUrl() {
      return metricsUrl;
    },
    db,
    auth,
    streams: registry,
    streamEndpoint,
    pings,
    singleConnection,
    notifications,
    pubsub,
    log,
    retention,
    due,
    push,
    vapidPublicKey: vapid.publicKey,
    async start() {
      url = await listen(server, config.port, config.host);
      trustedOrigins = trustedOriginsOf(config, Number(new URL(url).port));
      if (metricsServer) {
        metricsUrl = await listen(metricsServer, config.metricsPort ?? 0, '127.0.0.1').catch((error: unknown) => {
          server.close(); // a half-started app would keep the main port busy
          throw error;
        });
        log.info('serving /metrics on loopback', { url: `${metricsUrl}/metrics` });
      }
      log.info('listening', { url, database: config.provider });
      return url;
    },
    async stop() {
      // Stop accepting first, then complete every stream (clients see `complete` and reconnect
      // elsewhere), then wait for the responses in flight, streams included, to finish.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const metricsClosed = new Promise<void>((resolve) =>
        metricsServer ? metricsServer.close(() => resolve()) : resolve(),
      );
      metricsServer?.closeAllConnections();
      retention.stop();
      due.stop();
      singleConnection.stop();
      registry.closeAll();
      await inFlight.drained(5_000);
      server.closeAllConnections(); // only idle keep-alive connections are left
      await closed;
      await metricsClosed;
      await yoga.dispose();
      await push.close();
      await pubsub.close();
      await db.close();
      log.info('stopped');
    },
  };
}

/** Listens on `port` (0: any free one) and resolves with the listener's base URL. */
function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const { port: bound } = server.address() as AddressInfo;
      resolve(`http://${host.includes(':') ? `[${host}]` : host}:${bound}`);
    });
  });
}

/** Better Auth under /api/auth, the health checks, (with a bearer token) the metrics, and the web client. */
function routes({
  db,
  auth,
  pubsub,
  metrics,
  metricsToken,
  webClient,
}: {
  db: PrismaClient;
  auth: Auth;
  pubsub: NotificationPubSub;
  metrics: Metrics;
  metricsToken: string | null;
  webClient: ReturnType<typeof loadWebClient>;
}): OnRequest {
  return ({ request, url, endResponse }) => {
    if (url.pathname.startsWith('/api/auth/')) {
      return auth.handler(request).then(endResponse);
    } else if (url.pathname === '/healthz') {
      endResponse(Response.json({ status: 'ok' }));
    } else if (url.pathname === '/readyz') {
      return readiness(db, pubsub).then(endResponse);
    } else if (url.pathname === '/metrics' && metricsToken) {
      if (!bearerMatches(request.headers.get('authorization'), metricsToken)) {
        endResponse(
          Response.json(
            {
              errors: [
                {
                  message: 'Send the metrics token: Authorization: Bearer <token>.',
                  extensions: { code: 'UNAUTHENTICATED' },
                },
              ],
            },
            { status: 401, headers: { 'www-authenticate': 'Bearer realm="metrics"' } },
          ),
        );
        return;
      }
      return metricsPage(metrics).then((page) => endResponse(new Response(...page)));
    } else if (webClient) {
      const file = webClient(request, url);
      if (file) endResponse(file);
    } else if (url.pathname === '/') {
      endResponse(Response.redirect(new URL('/graphql', url), 302));
    }
  };
}

/** Whether an Authorization header carries `token`, compared in constant time (digests hide the length too). */
function bearerMatches(header: string | null, token: string): boolean {
  const given = /^Bearer (\S+)$/i.exec(header ?? '')?.[1] ?? '';
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/** The /metrics page both listeners serve (with the token on the main port, on the loopback one without), as a Response's arguments. */
async function metricsPage(metrics: Metrics): Promise<[string, { headers: { 'content-type': string } }]> {
  return [await metrics.registry.metrics(), { headers: { 'content-type': metrics.registry.contentType } }];
}

/** The loopback listener of TIDINGS_METRICS_PORT: GET /metrics and nothing else, no token. */
function createMetricsServer(metrics: Metrics): Server {
  return createServer((req, res) => {
    if (req.url?.split('?', 1)[0] !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404).end();
      return;
    }
    metricsPage(metrics).then(
      ([text, init]) => res.writeHead(200, init.headers).end(text),
      () => res.writeHead(500).end(),
    );
  });
}

/** 200 when the database (and Redis, when configured) answer; 503 and what is down otherwise. */
async function readiness(db: PrismaClient, pubsub: NotificationPubSub): Promise<Response> {
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

type OnRequest = NonNullable<Plugin['onRequest']>;
type OnResponse = NonNullable<Plugin['onResponse']>;

/**
 * Tidings' own request and response hooks, one of each: every hook a plugin registers is one more
 * link in every request's promise chain (@whatwg-node/promise-helpers), whether or not it acts.
 * Neither is async, and a GraphQL request leaves the request hook at once (a promise there would
 * make each later hook one too): graphql-sse's handler takes /graphql/stream, `routes` the rest.
 */
function httpHooks({
  graphqlSse,
  routes,
  onResponse,
}: {
  graphqlSse: Plugin;
  routes: OnRequest;
  onResponse: OnResponse;
}): Plugin {
  const streamRequest = graphqlSse.onRequest as OnRequest;
  return {
    onRequest: (payload) => (isGraphQLPath(payload.request.url) ? streamRequest(payload) : routes(payload)),
    onResponse(payload) {
      setStreamHeaders(payload.response);
      return onResponse(payload);
    },
  };
}

/** Whether an absolute request URL's path is /graphql or under it, read without parsing the URL. */
function isGraphQLPath(url: string): boolean {
  const path = url.indexOf('/', url.indexOf('//') + 2);
  return path !== -1 && url.startsWith('/graphql', path);
}

/**
 * Event streams must reach the client as they are written: no proxy caching or buffering. Our own
 * SSE writer (sse.ts) sets these already; this covers the streams it does not write: graphql-sse's
 * single-connection mode and Yoga's one-result error streams.
 */
function setStreamHeaders(response: Response) {
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    // delete() first: @whatwg-node's Headers would otherwise keep Yoga's "Cache-Control" beside
    // a lower-cased copy, and send both.
    response.headers.delete('cache-control');
    response.headers.set('cache-control', 'no-cache, no-transform');
    response.headers.set('x-accel-buffering', 'no');
  }
}

/** Armor's onReject option (its type lives in a package of armor's own, not ours). */
type ArmorRejectCallbacks = NonNullable<NonNullable<Parameters<typeof EnvelopArmorPlugin>[0]>['maxDepth']>['onReject'];

/** How deep an introspection query may go: as deep as the standard one (typeDepth 9), no deeper. */
const introspectionDepth = 21;

/**
 * Armor throws its refusals without a code; this gives each one, and HTTP 400 as Yoga gives its
 * own validation errors (Yoga too sets codes on the errors it is handed, in place).
 */
function refusedAs(code: string): ArmorRejectCallbacks {
  return [
    (_context, error) => {
      Object.assign(error.extensions, { code, http: { status: 400, spec: true } });
    },
  ];
}

/** The Node response under a stream Yoga writes: what its client has not taken, and how to cut it off. */
function responseBuffer(res: ServerResponse) {
  return {
    get bufferedBytes() {
      return res.writableLength;
    },
    cut: () => res.destroy(),
  };
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
