// server/http owns the transports: the Node listener's edge checks (csrf.ts, body-limit.ts),
// Yoga's plugins (rate-limit.ts, request-params.ts, document-cache.ts, event-results.ts), the
// distinct-connection stream endpoint (this module), the one SSE framing (sse.ts), graphql-sse's
// single-connection mode (single-connection.ts) and the web client's files (web-client.ts). It is
// the outermost room: nothing else imports it but server/app.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CORSOptions, getCORSHeadersByRequestAndOptions, sendNodeResponse } from '@whatwg-node/server';
import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLError,
  getOperationAST,
} from 'graphql';
import { isAsyncIterable, isPromise, maskError, type YogaServerInstance } from 'graphql-yoga';
import { errorFields, type Logger } from '../log.ts';
import type { StreamEvent } from '../realtime/events.ts';
import { SlotScheduler } from '../realtime/scheduler.ts';
import { NotificationStream, type StreamSink } from '../realtime/streams.ts';
import type { Context, TransportContext } from '../schema/context.ts';
import { eventResult } from './event-results.ts';
import { paramsOfSearch as readSearch } from './request-params.ts';
import { completeFrame, eventFrame, pingEveryMs, pingFrame, streamHeaders } from './sse.ts';

export interface StreamEndpointOptions {
  // biome-ignore lint/suspicious/noExplicitAny: Yoga's instance type is generic over contexts this module never reads.
  yoga: YogaServerInstance<any, any>;
  /** Yoga's GraphQL endpoint, e.g. /graphql. */
  endpoint: string;
  cors: CORSOptions;
  /** The resolvers' context of a request (the app's one context builder). */
  contextOf: (request: Request, transport: TransportContext) => Promise<Context>;
  log: Logger;
  pingMs?: number;
}

interface Params {
  query: string;
  variables: Record<string, unknown> | undefined;
  operationName: string | undefined;
}

/** Bodies up to this size are read here; larger ones stay Yoga's (which writes the same frames through sse.ts). */
const maxBodyBytes = 64 * 1024;
/** The parameters Yoga accepts in a request body; any other key is Yoga's to refuse. */
const knownParams = new Set(['query', 'variables', 'operationName', 'extensions']);

/**
 * The distinct-connection `notificationEvents` endpoint: `GET /graphql` or a JSON `POST /graphql`
 * (up to 64 KiB) that accepts `text/event-stream`. Every other request is Yoga's, and so is every
 * request this cannot serve (a bad document, an operation that is not a subscription, no
 * credentials, too many streams): it is handed to Yoga whole, which answers it as it answers any.
 *
 * The GraphQL work is Yoga's own: the document is parsed and validated by its envelop (its parser
 * and validation caches, armor's limits), the context comes from the app's one builder, and each
 * event's result from `eventResult`, as for the subscriptions Yoga serves. What is left out is the
 * Fetch layer: Yoga gives every subscription its own Fetch `Request` and `Response`, three
 * `ReadableStream`s and a pipe to the socket, envelop's hooks and the executor's iterators, about
 * 35 KB of heap per open stream held for the stream's life. Here a stream holds its Node response,
 * its NotificationStream (piped into a ResponseSink) and its context, and each event is executed
 * once for all of a user's tabs that chose the same document.
 */
export function createStreamEndpoint(options: StreamEndpointOptions) {
  const { yoga, log } = options;
  const pings = new SlotScheduler<ServerResponse>(options.pingMs ?? pingEveryMs, (res) => {
    if (res.destroyed || res.writableEnded) return false;
    // A client that has not taken the last bytes does not need another ping on top of them.
    if (res.writableLength === 0) res.write(pingFrame);
    return true;
  });
  /** Each event's frame for the last document it was executed for: a user's tabs share it. */
  const frames = new WeakMap<StreamEvent, { document: DocumentNode; variables: string; frame: string }>();

  /** Whether a request is this endpoint's, from its head alone. */
  function routes(req: IncomingMessage): boolean {
    if (req.url?.split('?', 1)[0] !== options.endpoint) return false;
    if (!req.headers.accept?.includes('text/event-stream')) return false;
    if (req.method === 'GET') return true;
    return (
      req.method === 'POST' &&
      isJson(req.headers['content-type']) &&
      Number(req.headers['content-length']) <= maxBodyBytes
    );
  }

  /** Validated by Yoga's envelop: its caches, armor's limits. Null for a document Yoga must answer. */
  function documentOf(params: Params, request: Request): Pick<ExecutionArgs, 'schema' | 'document'> | null {
    const { parse, validate, schema } = yoga.getEnveloped({ request, params });
    // Armor's rules throw where graphql's return errors: either way Yoga answers it.
    try {
      const document = parse(params.query);
      return validate(schema, document).length > 0 ? null : { schema, document };
    } catch {
      return null;
    }
  }

  /**
   * Opens the stream a request asks for and pipes it to the response, or hands the request to
   * Yoga when it is not one to serve here or fails before its stream opens.
   */
  async function serve(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    const toYoga = () => handOver(url, body, req, res);
    const request = new yoga.fetchAPI.Request(url, {
      method: req.method,
      headers: headersOf(req),
      ...(body === undefined ? {} : { body }),
    });
    const params = body === undefined ? paramsOfSearch(url.searchParams) : paramsOfBody(body);
    const checked = params && documentOf(params, request);
    if (!params || !checked || getOperationAST(checked.document, params.operationName)?.operation !== 'subscription') {
      return toYoga();
    }
    // No signal: the sink tells when the client leaves.
    const contextValue = await options.contextOf(request, {});
    if (!contextValue.viewer) return toYoga();
    const args: ExecutionArgs = {
      ...checked,
      contextValue,
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
    pipe(res, events, args, JSON.stringify(params.variables ?? null));
  }

  /**
   * Pipes a stream's events to its response as they come, until it ends or the client leaves.
   * A function of its own, apart from `serve`: what it keeps alive for the stream's lifetime is
   * only what it is passed, not the request, its body and its Fetch copy.
   */
  function pipe(res: ServerResponse, stream: NotificationStream, args: ExecutionArgs, variables: string) {
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
    stream.pipe(new ResponseSink(res, stream, args, variables));
  }

  /**
   * A stream's sink: the Node response. A class, so its methods are shared by every stream rather
   * than closures made for each.
   */
  class ResponseSink implements StreamSink {
    constructor(
      private readonly res: ServerResponse,
      private readonly stream: NotificationStream,
      private readonly args: ExecutionArgs,
      /** The variables as JSON: with the document, what decides whether a user's tabs share a frame. */
      private readonly variables: string,
    ) {}

    /** Writes one event; false when the response cannot take more yet (the stream then waits for 'drain'). */
    write(event: StreamEvent): boolean {
      try {
        const frame = this.frameOf(event);
        if (typeof frame === 'string') return this.res.write(frame);
        // Executed asynchronously (a field that awaits): the stream holds later events until this
        // one is written, so they keep their order.
        frame.then(
          (text) => {
            if (this.res.write(text)) this.stream.resume();
          },
          (error: unknown) => this.fail(error),
        );
        return false;
      } catch (error) {
        this.fail(error);
        return false;
      }
    }

    end() {
      pings.delete(this.res);
      if (!this.res.destroyed) this.res.end(completeFrame);
    }

    get bufferedBytes() {
      return this.res.writableLength;
    }

    cut() {
      this.res.destroy();
    }

    fail(error: unknown) {
      log.error('could not write a stream event', errorFields(error));
      this.res.destroy();
    }

    frameOf(event: StreamEvent): string | Promise<string> {
      const { document } = this.args;
      const cached = frames.get(event);
      if (cached && cached.document === document && cached.variables === this.variables) return cached.frame;
      const result = eventResult(this.args, event);
      const frame = (done: ExecutionResult) => {
        const text = eventFrame(masked(done));
        if (!done.errors) frames.set(event, { document, variables: this.variables, frame: text });
        return text;
      };
      return isPromise(result) ? result.then(frame) : frame(result);
    }
  }

  /**
   * Hands a request this module read to Yoga, and writes Yoga's answer. A copy of it, with the
   * body read and a signal that aborts when the client leaves, as Yoga's own Node adapter gives.
   */
  async function handOver(url: URL, body: string | undefined, req: IncomingMessage, res: ServerResponse) {
    const left = new AbortController();
    const abort = () => left.abort();
    // As Yoga's Node adapter does: a response that finished normally was not left.
    res.once('close', abort);
    res.once('finish', () => res.off('close', abort));
    const request = new yoga.fetchAPI.Request(url, {
      method: req.method,
      headers: headersOf(req),
      signal: left.signal,
      ...(body === undefined ? {} : { body }),
    });
    const response = await yoga.handleRequest(request, { req, res });
    await sendNodeResponse(response, res, req, false);
  }

  return {
    routes,
    /** Serves a request `routes` chose. */
    serve(req: IncomingMessage, res: ServerResponse): void {
      serve(req, res).catch((error: unknown) => {
        log.error('request failed', errorFields(error));
        if (res.writableEnded) return;
        if (res.headersSent) {
          res.end(); // a stream: its client sees it end without `complete`, and reconnects
          return;
        }
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ errors: [{ message: 'Unexpected error.' }] }));
      });
    },
    /** Streams open here now: tests check they are served here and leave nothing behind. */
    get openStreams() {
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
