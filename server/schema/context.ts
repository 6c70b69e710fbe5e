import type { Auth } from '../auth/auth.ts';
import { type CredentialOwner, createCredentialChecker } from '../auth/credentials.ts';
import { allScopes, type Scope, scopesOf } from '../auth/scopes.ts';
import type { NotificationPubSub } from '../realtime/pubsub.ts';
import type { StreamBuffer, StreamCredential, StreamRegistry, StreamReservation } from '../realtime/streams.ts';
import type { Database, PrismaClient } from '../store/db.ts';
import type { NotificationService } from '../store/notifications.ts';
import type { PushSubscriptions } from '../store/push-subscriptions.ts';
import type { Topics } from '../store/topics.ts';
import { unauthenticated } from './errors.ts';

/** Who is calling: a signed-in user, or a service holding one of a user's API keys. */
export interface Viewer {
  userId: string;
  role: 'admin' | 'user';
  /**
   * What this caller may do beyond acting as its user (scopes.ts): every scope for an admin's
   * session, an API key's own permissions for a key, none for anyone else.
   */
  scopes: readonly Scope[];
  /** The session or API key this request came with: streams end when it does. */
  credential: StreamCredential;
}

/** What every resolver receives. */
export interface Context {
  /** Prisma: every read the schema serves. */
  prisma: PrismaClient;
  notifications: NotificationService;
  topics: Topics;
  streams: StreamRegistry;
  pubsub: NotificationPubSub;
  push: WebPushApi;
  viewer: Viewer | null;
  /** An `x-api-key` came with the request and was refused: the answer says the key is bad, not missing. */
  apiKeyRefused: boolean;
  /** The cursor a reconnecting EventSource sends back: the Last-Event-ID header or a lastEventId query parameter. */
  lastEventId: string | null;
  /** What only the transport knows, for a subscription's stream. */
  transport: TransportContext;
}

/**
 * What only the transport knows about a request, read by subscriptions alone: getters are welcome
 * (a request's AbortSignal, say, costs something to make, and most requests never ask for it).
 */
export interface TransportContext {
  /** Aborts when the client leaves; absent where the stream's sink tells (stream-endpoint.ts). */
  readonly signal?: AbortSignal | undefined;
  /** What a subscription's events pass through to reach the client, for the slow-consumer limit (absent where the stream is piped). */
  readonly buffer?: StreamBuffer | undefined;
  /** The single-connection reservation an operation runs in (see single-connection.ts). */
  readonly reservation?: StreamReservation | undefined;
}

/** What the web push operations need (push.ts). */
export interface WebPushApi {
  /** The VAPID public key browsers subscribe with (applicationServerKey). */
  publicKey: string;
  subscriptions: PushSubscriptions;
  /** Why an endpoint may not be registered, or null when it may (realtime/push-endpoints.ts). */
  checkEndpoint(endpoint: string): Promise<string | null>;
}

/** The app's services a context carries, and how it finds the viewer of a request. */
export interface ContextDependencies
  extends Pick<Context, 'prisma' | 'notifications' | 'topics' | 'streams' | 'pubsub' | 'push'> {
  viewerOf: (request: Request) => Promise<Viewer | null>;
}

/**
 * The one builder of the resolvers' context, for Yoga's requests and the stream endpoint's
 * alike: the app's services, the viewer of the request's credentials, and what the transport adds.
 */
export function createContextBuilder(services: ContextDependencies) {
  return async (request: Request, transport: TransportContext = {}): Promise<Context> => {
    const viewer = await services.viewerOf(request);
    // Named one by one, not spread from an object: a spread cost more than the rest of this (measured).
    return {
      prisma: services.prisma,
      notifications: services.notifications,
      topics: services.topics,
      streams: services.streams,
      pubsub: services.pubsub,
      push: services.push,
      viewer,
      apiKeyRefused: viewer === null && request.headers.has('x-api-key'),
      lastEventId: lastEventIdOf(request),
      transport,
    };
  };
}

/**
 * Finds the viewer of a request: the Better Auth session cookie first, then an `x-api-key`
 * header. Cached per request, since single-connection SSE asks twice (authenticate, then context).
 */
export function createViewerResolver({ auth, db }: { auth: Auth; db: Database }) {
  const cache = new WeakMap<Request, Promise<Viewer | null>>();
  const credentials = createCredentialChecker({ auth, db });

  async function resolve(request: Request): Promise<Viewer | null> {
    const session = await credentials.session(request.headers);
    if (session) return viewerOf(session);
    const key = request.headers.get('x-api-key');
    if (!key) return null;
    const owner = await credentials.apiKey(key);
    return owner ? viewerOf(owner) : null;
  }

  return (request: Request): Promise<Viewer | null> => {
    const cached = cache.get(request);
    if (cached) return cached;
    const viewer = resolve(request);
    cache.set(request, viewer);
    return viewer;
  };
}

function viewerOf({ userId, role, credential, permissions }: CredentialOwner): Viewer {
  const isAdmin = role === 'admin';
  // A key acts with its own permissions only, whoever owns it: an admin's key made through Better
  // Auth's endpoints is as plain as anyone's.
  const scopes = credential.kind === 'apiKey' ? scopesOf(permissions) : isAdmin ? allScopes : [];
  return { userId, role: isAdmin ? 'admin' : 'user', scopes, credential };
}

/** Whether the viewer holds `scope`. */
/** Who sends what this viewer creates, as receipts know them: the user for a session, the key for an API key. */
export function senderOf(viewer: Viewer): string {
  return viewer.credential.kind === 'apiKey' ? `key:${viewer.credential.id}` : `user:${viewer.userId}`;
}

export function may(viewer: Viewer, scope: Scope): boolean {
  return viewer.scopes.includes(scope);
}

/** The cursor a reconnecting EventSource sends back, as a header or (where headers cannot be set) a query parameter. */
export function lastEventIdOf(request: Request): string | null {
  const header = request.headers.get('last-event-id');
  if (header !== null) return header;
  // Most requests are not streams: no URL to parse for them.
  return request.url.includes('lastEventId=') ? new URL(request.url).searchParams.get('lastEventId') : null;
}

/** The viewer, or the UNAUTHENTICATED error every operation but introspection answers without one. */
export function requireViewer(ctx: Context): Viewer {
  if (!ctx.viewer) throw ctx.apiKeyRefused ? invalidApiKey() : unauthenticated();
  return ctx.viewer;
}

/** The answer to an `x-api-key` that is not a valid key: a different fix from sending none. */
export function invalidApiKey() {
  return unauthenticated('Invalid API key: it is unknown, disabled or expired, or its owner is banned.');
}
