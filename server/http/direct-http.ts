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
import { isAsyncIterable, isPromise, maskError, processRegularResult, type YogaServerInstance } from 'graphql-yoga';
import { errorFields, type Logger } from '../log.ts';
import type { StreamEvent } from '../realtime/events.ts';
import { SlotScheduler } from '../realtime/scheduler.ts';
import { NotificationStream } from '../realtime/streams.ts';
import { type Context, lastEventIdOf, type Viewer } from '../schema/context.ts';
import { paramsOfSearch as readSearch } from './request-params.ts';
import { completeFrame, eventFrame, pingEveryMs, pingFrame, streamHeaders } from './sse.ts';

export interface DirectHttpOptions {
  // biome-ignore lint/suspicious/noExplicitAny: Yoga's instance type is generic over contexts this module never reads.
  yoga: YogaServerInstance<any, any>;
  /** The schema Yoga serves: each stream event is executed against it. */
  schema: GraphQLSchema;
  /** Yoga's GraphQL endpoint, e.g. /graphql. */
  endpoint: string;
  cors: CORSOptions;
  viewerOf: (request: Request) => Promise<Viewer | null>;
  /** The resolvers' context of one request or stream. */
  contextOf: (viewer: Viewer | null, res: ServerResponse, lastEventId: string | null, apiKeySent: boolean) => Context;
  log: Logger;
  pingMs?: number;
}

interface Params {
  query: string;
  variables: Record<string, unknown> | undefined;
  operationName: string | undefined;
}

/** A request read and checked: what both kinds of direct request start from. */
interface Prepared {
  url: URL;
  body: string | undefined;
  /** A Fetch copy for the pieces that take one (the viewer resolver, envelop, CORS). */
  request: Request;
  params: Params;
  document: DocumentNode;
  operation: 'query' | 'mutation' | 'subscription';
}

interface OpenStream {
  res: ServerResponse;
  stream: NotificationStream;
  args: ExecutionArgs;
  /** The variables as JSON: with the document, what decides whether a user's tabs share a frame. */
  variables: string;
}

/** Bodies up to this size are read here; larger ones (or ones of unknown size) go to Yoga. */
const maxBodyBytes = 64 * 1024;
/** Validated documents kept, by query text; more are parsed and validated again each time. */
const maxDocuments = 500;
/** The parameters Yoga accepts in a request body; any other key is Yoga's to refuse. */
const knownParams = new Set(['query', 'variables', 'operationName', 'extensions']);

/**
 * The GraphQL requests Tidings serves below Yoga's HTTP layer: distinct-connection
 * `notificationEvents` streams (GET, or POST of JSON), and single queries and mutations POSTed
 * as JSON. The GraphQL work is Yoga's own: documents are parsed and validated by its envelop
 * (its parser, armor's limits, the same caches), operations run through envelop's `execute` (so
 * the rate limit and error masking apply), answers are built by Yoga's `processRegularResult`,
 * and CORS headers by the same function as Yoga's. What is left out is the Fetch layer around it.
 *
 * Streams: Yoga gives every subscription its own Fetch `Request` and `Response`, three
 * `ReadableStream`s and a pipe to the socket, envelop's hooks and the executor's iterators: about
 * 35 KB of heap per open stream, held for the stream's life, and walked by every collection.
 * Here a stream holds its Node response, its NotificationStream and its context, and each event
 * is executed against the stream's document, once for all of a user's tabs that chose the same.
 *
 * Operations: Yoga's request and response objects, body streams, plugin chains and abort signals
 * cost about as much CPU as the mutation itself.
 *
 * Whatever this does not serve goes to Yoga unchanged: other methods, paths, content types and
 * Accept headers, batches, unknown parameters, bodies over 64 KiB, and every request that fails
 * before it runs (a bad document, no credentials for a stream, too many streams), so errors
 * keep Yoga's answers and status codes.
 */
export function createDirectHttp(options: DirectHttpOptions) {
  const { yoga, log } = options;
  const pings = new SlotScheduler<ServerResponse>(options.pingMs ?? pingEveryMs, (res) => {
    if (res.destroyed || res.writableEnded) return false;
    // A client that has not taken the last bytes does not need another ping on top of them.
    if (res.writableLength === 0) res.write(pingFrame);
    return true;
  });
  const documents = new Map<string, DocumentNode>();
  let operations = 0;
  /** Each event's frame for the last document it was executed for: a user's tabs share it. */
  const frames = new WeakMap<StreamEvent, { document: DocumentNode; variables: string; frame: string }>();

  /** Which kind of direct request this is, from its head alone; null for Yoga's. */
  function kindOf(req: IncomingMessage): 'stream' | 'operation' | null {
    if (req.url?.split('?', 1)[0] !== options.endpoint) return null;
    const accept = req.headers.accept;
    if (req.method === 'GET') return accept?.includes('text/event-stream') ? 'stream' : null;
    if (req.method !== 'POST' || !isJson(req.headers['content-type'])) return null;
    const length = Number(req.headers['content-length']);
    if (!(length <= maxBodyBytes)) return null;
    if (accept?.includes('text/event-stream')) return 'stream';
    return mediaTypeOf(accept) ? 'operation' : null;
  }

  /** Validated by Yoga's envelop (with armor's limits), once per query text. */
  function documentOf(params: Params, request: Request): DocumentNode | null {
    const known = documents.get(params.query);
    if (known) return known;
    const { parse, validate, schema } = yoga.getEnveloped({ request, params });
    // Yoga answers every failure itself: armor's rules throw where graphql's return errors.
    try {
      const document = parse(params.query);
      if (validate(schema, document).length > 0) return null;
      if (documents.size >= maxDocuments) documents.delete(documents.keys().next().value as string);
      documents.set(params.query, document);
      return document;
    } catch {
      return null;
    }
  }

  /** Reads and checks a request; answers it through Yoga and returns null when it is not one to serve here. */
  async function prepare(req: IncomingMessage, res: ServerResponse): Promise<Prepared | null> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    const request = new yoga.fetchAPI.Request(url, {
      method: req.method,
      headers: headersOf(req),
      ...(body === undefined ? {} : { body }),
    });
    const params = body === undefined ? paramsOfSearch(url.searchParams) : paramsOfBody(body);
    const document = params && documentOf(params, request);
    const operation = document && getOperationAST(document, params.operationName)?.operation;
    if (!params || !document || !operation) {
      await handOver({ url, body }, req, res);
      return null;
    }
    return { url, body, request, params, document, operation };
  }

  /**
   * Opens the stream a request asks for, or answers the request through Yoga when it is not one
   * to serve here or fails before its stream opens. Returns what the stream keeps.
   */
  async function open(req: IncomingMessage, res: ServerResponse): Promise<OpenStream | null> {
    const prepared = await prepare(req, res);
    if (!prepared) return null;
    const { request, params, document } = prepared;
    const toYoga = async () => {
      await handOver(prepared, req, res);
      return null;
    };
    if (prepared.operation !== 'subscription') return toYoga();
    const viewer = await options.viewerOf(request);
    if (!viewer) return toYoga();
    const args: ExecutionArgs = {
      schema: options.schema,
      document,
      contextValue: options.contextOf(viewer, res, lastEventIdOf(request), request.headers.has('x-api-key')),
      variableValues: params.variables,
      operationName: params.operationName,
    };
    const events = await createSourceEventStream(args);
    if (!(events instanceof NotificationStream)) {
      // Not one of the registry's streams (an error result, say): Yoga answers it its own way.
      if (isAsyncIterable(events)) await (events as AsyncIterableIterator<unknown>).return?.();
      return toYoga();
    }
    res.writeHead(200, { ...streamHeaders, ...getCORSHeadersByRequestAndOptions(request, options.cors) });
    return { res, stream: events, args, variables: JSON.stringify(params.variables ?? null) };
  }

  /**
   * Pipes a stream's events to its response as they come, until it ends or the client leaves.
   * A function of its own, apart from `open`: what it keeps alive for the stream's lifetime is
   * only what it is passed, not the request, its body and its Fetch copy.
   */
  function pipe({ res, stream, args, variables }: OpenStream) {
    // A client that left while the stream was opening: its 'close' has been and gone.
    if (!res.socket || res.socket.destroyed) {
      stream.close();
      return;
    }
    // Flush the headers at once: some clients wait for a first byte before they report "open".
    res.write(pingFrame);
    pings.add(res);
    res.on('drain', () => stream.resume());
    res.on('close', () => {
      pings.delete(res);
      stream.close();
    });
    stream.pipe({
      write: (event) => writeEvent(res, stream, event, args, variables),
      end: () => {
        pings.delete(res);
        if (!res.destroyed) res.end(completeFrame);
      },
    });
  }

  /** Writes one event; false when the response cannot take more yet (the stream then waits for 'drain'). */
  function writeEvent(
    res: ServerResponse,
    stream: NotificationStream,
    event: StreamEvent,
    args: ExecutionArgs,
    variables: string,
  ): boolean {
    try {
      const frame = frameOf(event, args, variables);
      if (typeof frame === 'string') return res.write(frame);
      // Executed asynchronously (a field that awaits): the stream holds later events until this
      // one is written, so they keep their order.
      frame.then(
        (text) => {
          if (res.write(text)) stream.resume();
        },
        (error: unknown) => cut(res, error),
      );
      return false;
    } catch (error) {
      cut(res, error);
      return false;
    }
  }

  function cut(res: ServerResponse, error: unknown) {
    log.error('could not write a stream event', errorFields(error));
    res.destroy();
  }

  function frameOf(event: StreamEvent, args: ExecutionArgs, variables: string): string | Promise<string> {
    const cached = frames.get(event);
    if (cached && cached.document === args.document && cached.variables === variables) return cached.frame;
    const result = execute({ ...args, rootValue: event });
    const frame = (done: ExecutionResult) => {
      const text = eventFrame(masked(done), event.cursor);
      if (!done.errors) frames.set(event, { document: args.document, variables, frame: text });
      return text;
    };
    return isPromise(result) ? result.then(frame) : frame(result);
  }

  /** A query or mutation, through envelop's execute, answered as Yoga answers it. */
  async function run(req: IncomingMessage, res: ServerResponse) {
    const prepared = await prepare(req, res);
    if (!prepared) return;
    const { request, params, document, operation } = prepared;
    if (operation === 'subscription') return handOver(prepared, req, res);
    const viewer = await options.viewerOf(request);
    const enveloped = yoga.getEnveloped({ request, params });
    operations++;
    const result = await enveloped.execute({
      schema: options.schema,
      document,
      contextValue: options.contextOf(viewer, res, null, request.headers.has('x-api-key')),
      variableValues: params.variables,
      operationName: params.operationName,
    });
    const response = processRegularResult(
      result as ExecutionResult,
      yoga.fetchAPI,
      mediaTypeOf(req.headers.accept) as string,
    );
    for (const [name, value] of Object.entries(getCORSHeadersByRequestAndOptions(request, options.cors) ?? {})) {
      response.headers.set(name, value);
    }
    await sendNodeResponse(response, res, req, false);
  }

  /**
   * Hands a request this module read to Yoga, and writes Yoga's answer. A copy of it, with the
   * body read and a signal that aborts when the client leaves, as Yoga's own Node adapter gives.
   */
  async function handOver(prepared: { url: URL; body: string | undefined }, req: IncomingMessage, res: ServerResponse) {
    const left = new AbortController();
    const abort = () => left.abort();
    // As Yoga's Node adapter does: a response that finished normally was not left.
    res.once('close', abort);
    res.once('finish', () => res.off('close', abort));
    const request = new yoga.fetchAPI.Request(prepared.url, {
      method: req.method,
      headers: headersOf(req),
      signal: left.signal,
      ...(prepared.body === undefined ? {} : { body: prepared.body }),
    });
    const response = await yoga.handleRequest(request, { req, res });
    await sendNodeResponse(response, res, req, false);
  }

  /** Every request of the HTTP server comes here first. */
  function handle(req: IncomingMessage, res: ServerResponse): void {
    const kind = kindOf(req);
    if (!kind) {
      yoga(req, res);
      return;
    }
    const failed = (error: unknown) => {
      log.error('request failed', errorFields(error));
      if (res.writableEnded) return;
      if (res.headersSent) {
        res.end(); // a stream: its client sees it end without `complete`, and reconnects
        return;
      }
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ errors: [{ message: 'Unexpected error.' }] }));
    };
    if (kind === 'operation') {
      run(req, res).catch(failed);
      return;
    }
    open(req, res).then((stream) => {
      if (stream) pipe(stream);
    }, failed);
  }

  return {
    handle,
    /** Streams this serves now: tests check they are served here and leave nothing behind. */
    get openStreams() {
      return pings.size;
    },
    /** Queries and mutations this has run. */
    get operations() {
      return operations;
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
 * The media type Yoga answers a query or mutation with, for the Accept headers whose answer is
 * plain: none or any (application/json), or exactly one of the two GraphQL-over-HTTP types.
 * Other Accept headers are Yoga's to negotiate.
 */
function mediaTypeOf(accept: string | undefined): string | null {
  const type = accept?.split(';')[0]?.trim().toLowerCase();
  if (type === undefined || type === '' || type === '*/*') return accept?.includes(',') ? null : 'application/json';
  if (accept?.includes(',')) return null;
  return type === 'application/json' || type === 'application/graphql-response+json' ? type : null;
}

/** The body as text. Plain listeners, removed at the end: a `for await` over the request leaves
 * end-of-stream listeners on it until the response ends, which for a stream is hours. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => chunks.push(chunk);
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

/** GraphQL parameters of a JSON body, or null when they are not plainly one operation (Yoga answers those). */
function paramsOfBody(body: string): Params | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  if (Object.keys(parsed).some((key) => !knownParams.has(key))) return null;
  const { query, variables, operationName, extensions } = parsed as Record<string, unknown>;
  if (extensions != null && (typeof extensions !== 'object' || Array.isArray(extensions))) return null;
  return paramsOf(query, variables, operationName);
}

/** The parameters of a GET query string, read as Yoga reads them; null when one is broken (Yoga answers 400). */
function paramsOfSearch(search: URLSearchParams): Params | null {
  try {
    const { query, variables, operationName, extensions } = readSearch(search);
    if (extensions != null && (typeof extensions !== 'object' || Array.isArray(extensions))) return null;
    return paramsOf(query, variables, operationName);
  } catch {
    return null;
  }
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
