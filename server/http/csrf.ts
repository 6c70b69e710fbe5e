import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The GraphQL bodies Yoga reads that a page can send cross-site only after a CORS preflight,
 * which only trusted origins pass. Form, multipart and text bodies (and bodies of no type) need none.
 */
const preflightedTypes = new Set([
  'application/json',
  'application/graphql-response+json',
  'application/graphql+json',
  'application/graphql',
]);

/**
 * Refuses, on /graphql and /graphql/*, a request that carries a cookie and could have been sent
 * by another site's page with the user's session:
 *  - an Origin header that is not a trusted origin: 403;
 *  - a POST, or any body, whose content type is not JSON (or application/graphql): 415 (Yoga would run a mutation from
 *    a form-urlencoded or multipart body, which any page can send without a preflight).
 * Requests with an `x-api-key` are not a browser's ambient credentials (the header itself needs
 * a preflight) and pass, as do GETs (EventSource streams; Yoga refuses mutations over GET) and
 * bodiless PUT and DELETE (graphql-sse's single-connection reservations). Checked here, at the
 * Node edge, so it holds for the stream endpoint and for Yoga alike.
 *
 * Answers and returns true when it refused.
 */
export function refuseCrossSite(
  req: IncomingMessage,
  res: ServerResponse,
  trusts: (origin: string) => boolean,
  corsOf: CorsHeaders,
): boolean {
  const path = req.url?.split('?', 1)[0];
  if (path !== '/graphql' && !path?.startsWith('/graphql/')) return false;
  if (req.headers.cookie === undefined || req.headers['x-api-key'] !== undefined) return false;
  const origin = req.headers.origin;
  if (origin !== undefined && !trusts(origin)) {
    refuse(
      res,
      null,
      403,
      'FORBIDDEN',
      `Requests from ${origin} may not use a session cookie here: it is not a trusted origin.`,
    );
    return true;
  }
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if ((req.method === 'POST' || hasBody) && !preflightedTypes.has(mediaTypeOf(req.headers['content-type']))) {
    refuse(
      res,
      corsOf(req),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'Requests with a session cookie must send their body as application/json (or application/graphql-response+json, application/graphql+json, application/graphql).',
    );
    return true;
  }
  return false;
}

function mediaTypeOf(contentType: string | undefined): string {
  return contentType?.split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

/**
 * The CORS headers Yoga would give a request, or null when its Origin is absent or not trusted:
 * the edge's refusals carry them, so a trusted page can read why it was refused.
 */
export type CorsHeaders = (req: IncomingMessage) => Record<string, string> | null;

/**
 * Answers a request at the Node edge, before Yoga, in the shape of a GraphQL error, and closes
 * the connection (its body is left unread). body-limit.ts answers its 413 the same way.
 */
export function refuse(
  res: ServerResponse,
  cors: Record<string, string> | null,
  status: number,
  code: string,
  message: string,
) {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, {
    ...cors,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}
