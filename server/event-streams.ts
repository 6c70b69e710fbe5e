import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CORSOptions, getCORSHeadersByRequestAndOptions, sendNodeResponse } from '@whatwg-node/server';
import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  type GraphQLError,
  type GraphQLSchema,
  getOperationAST,
} from 'graphql';
import { isAsyncIterable, maskError, type YogaServerInstance } from 'graphql-yoga';
import { type Context, lastEventIdOf, type Viewer } from './context.ts';
import type { StreamEvent } from './events.ts';
import { errorFields, type Logger } from './log.ts';
import { completeFrame, eventFrame, Pinger, pingFrame, streamHeaders } from './sse.ts';

export interface DirectStreamOptions {
  // biome-ignore lint/suspicious/noExplicitAny: Yoga's instance type is generic over contexts this module never reads.
  yoga: YogaServerInstance<any, any>;
  /** The schema Yoga serves: each event is executed against it. */
  schema: GraphQLSchema;
  /** Yoga's GraphQL endpoint, e.g. /graphql. */
  endpoint: string;
  cors: CORSOptions;
  viewerOf: (request: Request) => Promise<Viewer | null>;
  /** The resolvers' context of one stream. */
  contextOf: (viewer: Viewer, res: ServerResponse, lastEventId: string | null) => Context;
  log: Logger;
  pingMs?: number;
}

interface OpenStream {
  res: ServerResponse;
  events: AsyncIterator<StreamEvent>;
  args: ExecutionArgs;
  /** The variables as JSON: with the document, what decides whether a user's tabs share a frame. */
  variables: string;
}

interface Params {
  query: string;
  variables: Record<string, unknown> | undefined;
  operationName: string | undefined;
}

/** A GraphQL request body larger than this is refused: a valid subscription is a few hundred bytes. */
const maxBodyBytes = 64 * 1024;
/** Validated documents kept, by query text; more are parsed and validated again each time. */
const maxDocuments = 500;

/**
 * Distinct-connection `notificationEvents` streams, served straight to the Node response.
 *
 * Yoga gives every subscription its own Fetch `Request` and `Response`, three `ReadableStream`s
 * and a pipe to the socket, envelop's hooks and the executor's iterators: about 35 KB of heap per
 * open stream, held for as long as the stream is open, and the garbage collector walks all of it
 * on every collection. Here a stream holds its Node response, its NotificationStream and its
 * context. Opening goes the same way as through Yoga: the document is parsed and validated by
 * Yoga's envelop (its parser, armor's limits, the same caches), the credentials are checked by
 * the same resolver, and the subscription's own `subscribe` opens the stream; each event is then
 * executed against the document, its errors masked as Yoga masks them.
 *
 * Whatever this does not serve goes to Yoga unchanged: other methods, paths and content types,
 * queries and mutations, and every request that fails before its stream opens (a bad document,
 * no credentials, too many streams), so errors keep Yoga's answers and status codes.
 */
export function createDirectStreams(options: DirectStreamOptions) {
  const { yoga, log } = options;
  const pings = new Pinger<ServerResponse>(options.pingMs ?? 12_000, (res) => {
    if (res.destroyed || res.writableEnded) return false;
    // A client that has not taken the last bytes does not need another ping on top of them.
    if (res.writableLength === 0) res.write(pingFrame);
    return true;
  });
  const documents = new Map<string, DocumentNode>();
  /** Each event's frame for the last document it was executed for: a user's tabs share it. */
  const frames = new WeakMap<StreamEvent, { document: DocumentNode; variables: string; frame: string }>();

  function wants(req: IncomingMessage): boolean {
    const path = req.url?.split('?', 1)[0];
    if (path !== options.endpoint) return false;
    if (req.method !== 'GET' && req.method !== 'POST') return false;
    if (!req.headers.accept?.includes('text/event-stream')) return false;
    return req.method === 'GET' || isJson(req.headers['content-type']);
  }

  /** Validated by Yoga's envelop (with armor's limits), once per query text. */
  function documentOf(params: Params, request: Request): DocumentNode | null {
    const known = documents.get(params.query);
    if (known) return known;
    const { parse, validate, schema } = yoga.getEnveloped({ request, params });
    let document: DocumentNode;
    try {
      document = parse(params.query);
    } catch {
      return null;
    }
    if (validate(schema, document).length > 0) return null;
    if (documents.size >= maxDocuments) documents.delete(documents.keys().next().value as string);
    documents.set(params.query, document);
    return document;
  }

  /**
   * Opens the stream a request asks for, or answers the request (through Yoga when it is not
   * one to serve here, or fails before its stream opens). Returns what the stream keeps.
   */
  async function open(req: IncomingMessage, res: ServerResponse): Promise<OpenStream | null> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    if (body === null) {
      res.writeHead(413, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ errors: [{ message: `The request body is larger than ${maxBodyBytes} bytes.` }] }));
      return null;
    }
    const request = new yoga.fetchAPI.Request(url, {
      method: req.method,
      headers: headersOf(req),
      ...(body === undefined ? {} : { body }),
    });
    const toYoga = async () => {
      await handOver(request, req, res);
      return null;
    };
    const params = body === undefined ? paramsOfSearch(url.searchParams) : paramsOfBody(body);
    if (!params) return toYoga();
    const document = documentOf(params, request);
    if (!document || getOperationAST(document, params.operationName)?.operation !== 'subscription') return toYoga();
    const viewer = await options.viewerOf(request);
    if (!viewer) return toYoga();

    const args: ExecutionArgs = {
      schema: options.schema,
      document,
      contextValue: options.contextOf(viewer, res, lastEventIdOf(request)),
      variableValues: params.variables,
      operationName: params.operationName,
    };
    const events = await createSourceEventStream(args);
    if (!isAsyncIterable(events)) return toYoga();
    res.writeHead(200, { ...streamHeaders, ...getCORSHeadersByRequestAndOptions(request, options.cors) });
    return {
      res,
      events: (events as AsyncIterable<StreamEvent>)[Symbol.asyncIterator](),
      args,
      variables: JSON.stringify(params.variables ?? null),
    };
  }

  /**
   * Writes a stream's events until it ends or the client leaves. A function of its own, apart
   * from `open`: what it keeps alive for the stream's lifetime is only what it is passed, not the
   * request, its body and its Fetch copy.
   */
  async function pump({ res, events, args, variables }: OpenStream) {
    // Flush the headers at once: some clients wait for a first byte before they report "open".
    res.write(pingFrame);
    res.on('close', () => void events.return?.());
    pings.add(res);
    try {
      for (;;) {
        const { value: event, done } = await events.next();
        if (done || res.destroyed) break;
        const frame = await frameOf(event, args, variables);
        if (!res.write(frame)) await drained(res);
      }
      if (!res.destroyed) res.end(completeFrame);
    } finally {
      pings.delete(res);
    }
  }

  async function frameOf(event: StreamEvent, args: ExecutionArgs, variables: string): Promise<string> {
    const cached = frames.get(event);
    if (cached && cached.document === args.document && cached.variables === variables) return cached.frame;
    const result = await execute({ ...args, rootValue: event });
    const frame = eventFrame(masked(result), event.cursor);
    if (!result.errors) frames.set(event, { document: args.document, variables, frame });
    return frame;
  }

  /** Hands a request this module read (body included) to Yoga, and writes Yoga's answer. */
  async function handOver(request: Request, req: IncomingMessage, res: ServerResponse) {
    const response = await yoga.handleRequest(request, { req, res });
    await sendNodeResponse(response, res, req, false);
  }

  /** Every request of the HTTP server comes here first. */
  function handle(req: IncomingMessage, res: ServerResponse): void {
    if (!wants(req)) {
      yoga(req, res);
      return;
    }
    const failed = (error: unknown) => {
      log.error('notification stream failed', errorFields(error));
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      if (!res.writableEnded)
        res.end(res.headersSent ? undefined : JSON.stringify({ errors: [{ message: 'Unexpected error.' }] }));
    };
    // Two chains, so the opening's promises settle once the stream is open, not when it ends.
    open(req, res).then((stream) => {
      if (stream) pump(stream).catch(failed);
    }, failed);
  }

  return {
    handle,
    /** Streams this serves now: tests check they are served here and leave nothing behind. */
    get open() {
      return pings.size;
    },
  };
}

/** A result with unexpected errors masked, as Yoga masks them: only GraphQL errors reach clients. */
function masked(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  // Yoga's maskError answers the error itself or a new GraphQLError; it is typed as any Error.
  return {
    ...result,
    errors: result.errors.map((error) => maskError(error, 'Unexpected error.', false) as GraphQLError),
  };
}

function isJson(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json' || type === 'application/graphql+json';
}

/**
 * The body as text, or null when it is larger than maxBodyBytes. Plain listeners, removed at the
 * end: a `for await` over the request leaves end-of-stream listeners on it until the response
 * ends, which for a stream is hours.
 */
function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) {
        chunks.push(chunk);
        return;
      }
      done();
      req.resume(); // read and drop the rest, so the connection can answer
      resolve(null);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function headersOf(req: IncomingMessage): [string, string][] {
  const headers: [string, string][] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
  }
  return headers;
}

/** GraphQL parameters of a JSON body, or null when they are not plainly a query (Yoga answers those). */
function paramsOfBody(body: string): Params | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const { query, variables, operationName } = parsed as Record<string, unknown>;
  return paramsOf(query, variables, operationName);
}

function paramsOfSearch(search: URLSearchParams): Params | null {
  let variables: unknown;
  try {
    variables = JSON.parse(search.get('variables') ?? 'null');
  } catch {
    return null;
  }
  return paramsOf(search.get('query'), variables, search.get('operationName'));
}

function paramsOf(query: unknown, variables: unknown, operationName: unknown): Params | null {
  if (typeof query !== 'string') return null;
  if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return null;
  if (operationName != null && typeof operationName !== 'string') return null;
  return {
    query,
    variables: (variables ?? undefined) as Record<string, unknown> | undefined,
    operationName: operationName ?? undefined,
  };
}

/** Resolves when the response can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
