import type { Auth } from './auth.ts';
import type { Db } from './db.ts';
import { unauthenticated } from './errors.ts';
import type { NotificationService } from './notifications.ts';
import type { NotificationPubSub } from './pubsub.ts';
import type { CursorCarrier } from './sse.ts';
import type { StreamCredential, StreamRegistry } from './streams.ts';

/** Who is calling: a signed-in user, or a service holding one of a user's API keys. */
export interface Viewer {
  userId: string;
  role: 'admin' | 'user';
  /** Admins and API keys may create notifications for anyone and read stream statistics. */
  privileged: boolean;
  /** The session or API key this request came with: streams end when it does. */
  credential: StreamCredential;
}

/** What every resolver receives. */
export interface Context extends CursorCarrier {
  db: Db;
  notifications: NotificationService;
  streams: StreamRegistry;
  pubsub: NotificationPubSub;
  viewer: Viewer | null;
  request: Request;
  /** The Node response under this request (absent in single-connection mode's operation requests). */
  res?: { destroy(): void; readonly writableLength: number };
}

/**
 * Finds the viewer of a request: the Better Auth session cookie first, then an `x-api-key`
 * header. Cached per request, since single-connection SSE asks twice (authenticate, then context).
 */
export function createViewerResolver({ auth, db }: { auth: Auth; db: Db }) {
  const cache = new WeakMap<Request, Promise<Viewer | null>>();

  async function resolve(request: Request): Promise<Viewer | null> {
    const session = await auth.api.getSession({ headers: request.headers });
    if (session) return viewerOf(session.user.id, session.user.role, { kind: 'session', id: session.session.id });
    const key = request.headers.get('x-api-key');
    if (!key) return null;
    const verified = await auth.api.verifyApiKey({ body: { key } });
    if (!verified.valid || !verified.key) return null;
    const owner = await db.user.findUnique({
      where: { id: verified.key.referenceId },
      select: { id: true, role: true },
    });
    return owner ? viewerOf(owner.id, owner.role, { kind: 'apiKey', id: verified.key.id }) : null;
  }

  return (request: Request): Promise<Viewer | null> => {
    const cached = cache.get(request);
    if (cached) return cached;
    const viewer = resolve(request);
    cache.set(request, viewer);
    return viewer;
  };
}

function viewerOf(userId: string, role: string | null | undefined, credential: StreamCredential): Viewer {
  const isAdmin = role === 'admin';
  return { userId, role: isAdmin ? 'admin' : 'user', privileged: isAdmin || credential.kind === 'apiKey', credential };
}

/** The viewer, or the UNAUTHENTICATED error every operation but introspection answers without one. */
export function requireViewer(ctx: Context): Viewer {
  if (!ctx.viewer) throw unauthenticated();
  return ctx.viewer;
}
