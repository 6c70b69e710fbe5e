import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { type CorsHeaders, refuse } from './csrf.ts';

/**
 * The most a request body may hold, by route. Auth requests are an email, a password and a name.
 * A GraphQL request is one document (armor caps it at 2,000 tokens) and its variables: the web
 * client's largest operation is under 1 KB, GraphiQL's introspection 2.2 KB, and a
 * createNotification at most about 12 KB (title, body, url, 8 KB of data), 15 aliased ones
 * about 180 KB, and a createNotifications to its 10,000 recipients by id or email about 300 to
 * 700 KB. The single-connection endpoint takes only subscriptions. No other route reads a body.
 */
export const bodyLimits = { auth: 64 * 1024, graphql: 1024 * 1024, stream: 256 * 1024, other: 0 } as const;

/** The limit of a request's route, from its path alone (an absolute-form target gets `other`). */
export function bodyLimitOf(url: string | undefined): number {
  const path = url?.split('?', 1)[0] ?? '/';
  if (path.startsWith('/api/auth/')) return bodyLimits.auth;
  if (path === '/graphql') return bodyLimits.graphql;
  if (path.startsWith('/graphql/')) return bodyLimits.stream;
  return bodyLimits.other;
}

/**
 * Holds every request body to its route's limit before `next` sees the request.
 *
 * A declared Content-Length over the limit is answered 413 at once, unread. One within it is
 * handed on unread: Node's parser never gives more body than the Content-Length says.
 *
 * A chunked body (no Content-Length) is read here, until it passes the limit (then 413, and no
 * more of it is read: the connection closes), or to its end. Read whole, it is handed on as
 * `req.body`, where @whatwg-node/server's Node adapter (Yoga's) takes a body read ahead instead
 * of the request stream, spent by then. stream-endpoint.ts serves only bodies with a Content-Length
 * and leaves chunked ones to Yoga.
 */
export function limitBody(
  req: IncomingMessage,
  res: ServerResponse,
  next: (req: IncomingMessage, res: ServerResponse) => void,
  corsOf: CorsHeaders,
): void {
  const declared = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (declared === undefined || Number(declared) === 0)) {
    next(req, res);
    return;
  }
  const limit = bodyLimitOf(req.url);
  if (Number(declared) > limit) {
    tooLarge(req, res, limit, corsOf);
    return;
  }
  if (!chunked) {
    next(req, res);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const done = () => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onError);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size <= limit) {
      chunks.push(chunk);
      return;
    }
    done();
    req.pause();
    chunks.length = 0;
    tooLarge(req, res, limit, corsOf);
  };
  const onEnd = () => {
    done();
    const body = Buffer.concat(chunks, size);
    // An object stream of the one Buffer, not the Buffer itself: the adapter counts the keys of
    // what it is given, and a Buffer has one per byte.
    (req as IncomingMessage & { body?: Readable }).body = Readable.from([body]);
    next(req, res);
  };
  // The client left mid-body: there is no one to answer.
  const onError = () => {
    done();
    res.destroy();
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
}

/** 413, and the connection closed after it: the rest of the body is never read. */
function tooLarge(req: IncomingMessage, res: ServerResponse, limit: number, corsOf: CorsHeaders) {
  refuse(
    res,
    corsOf(req),
    413,
    'PAYLOAD_TOO_LARGE',
    `The request body is too large: this route takes at most ${limit} bytes.`,
  );
}
