import type { ServerResponse } from 'node:http';
import type { GraphQLSSEPluginOptions } from '@graphql-yoga/plugin-graphql-sse';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { createStreamTokens } from '../auth/stream-tokens.ts';
import type { Logger } from '../log.ts';
import { TooManyStreams } from '../realtime/errors.ts';
import type { StreamBuffer, StreamRegistry, StreamReservation } from '../realtime/streams.ts';
import { invalidApiKey, type Viewer } from '../schema/context.ts';
import { tooManyStreams, unauthenticated } from '../schema/errors.ts';

type Authenticate = NonNullable<GraphQLSSEPluginOptions['authenticate']>;
type OnNext = NonNullable<GraphQLSSEPluginOptions['onNext']>;
type HandlerResponse = Exclude<Awaited<ReturnType<Authenticate>>, string | null | undefined>;

export interface SingleConnectionOptions {
  endpoint: string;
  streams: StreamRegistry;
  tokens: ReturnType<typeof createStreamTokens>;
  viewerOf: (request: Request) => Promise<Viewer | null>;
  /** TIDINGS_STREAM_MAX_BUFFER_BYTES: graphql-sse's queue is kept well under it. */
  maxBufferBytes: number;
  /** How long a reservation may wait for its event stream before it is freed. */
  reservationTtlMs: number;
  log: Logger;
  /** Sends a request through Yoga to graphql-sse's handler: how a reservation left unused is freed. */
  fetch: (request: Request) => Promise<Response>;
}

/**
 * Messages graphql-sse has queued for one event stream that its response has not taken yet, by
 * size: graphql-sse pulls every operation's results as they come and would queue them without
 * bound. It is also what the streams in it pass their events through (streams.ts' StreamBuffer).
 */
interface Backlog extends StreamBuffer {
  /** The size of each queued `next` message, oldest first; a message taken removes the oldest. */
  sizes: number[];
  bytes: number;
  /** The event stream's Node response, once it is connected. */
  res: ServerResponse | undefined;
  /** Results waiting for the response to take what is queued before them. */
  waiting: (() => void)[];
  ended: boolean;
}

interface Reservation extends Backlog {
  token: string;
  userId: string;
  slot: StreamReservation;
  timer: NodeJS.Timeout | undefined;
}

/** Thrown from graphql-sse's onNext into an ended event stream: graphql-sse then drops it and completes its operations. */
class StreamGone extends Error {
  override name = 'StreamGone';
}

/**
 * Bounds graphql-sse's event streams on the stream endpoint through its own handler options and
 * one Yoga response hook, leaving the protocol to graphql-sse:
 *
 * - `authenticate` binds tokens to their user (stream-tokens.ts), and a reservation (`PUT`) takes
 *   one of the user's TIDINGS_MAX_STREAMS_PER_USER slots (429 TOO_MANY_STREAMS when none is left);
 * - a reservation whose event stream has not connected within `reservationTtlMs` is freed, in
 *   graphql-sse's own way: an event stream connects to it and leaves at once, and graphql-sse
 *   drops the reservation and completes its operations;
 * - `onNext` counts what graphql-sse queues for each event stream and, once that passes a
 *   high-water mark, waits for the response (the hook counts what it takes) before handing
 *   graphql-sse the next result. Events then wait in the NotificationStream, whose
 *   slow-consumer check counts them with graphql-sse's queue and the socket's buffer, as in
 *   distinct mode, and cuts the event stream off past TIDINGS_STREAM_MAX_BUFFER_BYTES. A replay
 *   reads the log only as fast as the client takes it. The client resumes with its last cursor.
 */
export function createSingleConnection(options: SingleConnectionOptions) {
  const { streams, tokens, log } = options;
  const highWater = Math.min(64 * 1024, Math.floor(options.maxBufferBytes / 2));
  const reservations = new Map<string, Reservation>();
  /** The backlog each stream-endpoint request feeds (its operations' results) or drains (its event stream). */
  const backlogs = new WeakMap<Request, Backlog | Reservation>();
  /** Requests made here to free a reservation, with its token. */
  const freeing = new WeakMap<Request, string>();

  const authenticate: Authenticate = async (req) => {
    const raw = req.raw as Request;
    const internal = freeing.get(raw);
    if (internal) return internal;
    const viewer = await options.viewerOf(raw);
    if (!viewer) {
      const refused = raw.headers.has('x-api-key') ? invalidApiKey() : unauthenticated();
      return errorResponse(401, 'UNAUTHENTICATED', refused.message);
    }
    const given =
      req.headers.get('x-graphql-event-stream-token') ?? new URL(req.url, 'http://x').searchParams.get('token');
    if (given && !tokens.belongsTo(given, viewer.userId)) {
      return errorResponse(403, 'FORBIDDEN', 'This stream token belongs to another user.');
    }
    const token = given ?? tokens.issue(viewer.userId);
    if (req.method === 'PUT') {
      // A token reserved already: graphql-sse answers 409 itself.
      if (reservations.has(token)) return token;
      try {
        reserve(token, viewer.userId);
      } catch (error) {
        if (!(error instanceof TooManyStreams)) throw error;
        return errorResponse(429, 'TOO_MANY_STREAMS', tooManyStreams(error).message);
      }
      return token;
    }
    const reservation = given ? reservations.get(given) : undefined;
    const eventStream = req.headers.get('accept') === 'text/event-stream';
    if (reservation) {
      backlogs.set(raw, reservation);
      // Its event stream connects: the reservation is in use from now on.
      if (eventStream) {
        clearTimeout(reservation.timer);
        reservation.timer = undefined;
      }
    }
    // Without a reservation, an event-stream request is an operation on its own stream (distinct mode).
    else if (eventStream) backlogs.set(raw, backlogOf());
    return token;
  };

  const onNext: OnNext = async (_ctx, req, result) => {
    const backlog = backlogs.get(req.raw as Request);
    if (!backlog) return;
    if (backlog.bytes > highWater && !backlog.ended) {
      await new Promise<void>((resolve) => backlog.waiting.push(resolve));
    }
    if (backlog.ended) {
      // Its response is gone, and graphql-sse drops the stream with it (the request aborts): an
      // error here would reach the response's reader as an unhandled rejection.
      if (backlog.res) return;
      // Nobody reads it: the error makes graphql-sse drop it and complete its operations now.
      throw new StreamGone();
    }
    const size = JSON.stringify(result).length;
    backlog.sizes.push(size);
    backlog.bytes += size;
  };

  /**
   * A subscription refused before its stream opens (TOO_MANY_STREAMS, say) answers `{ errors }`,
   * which graphql-sse does not take for a result (it looks for a `data` key) and answers 400
   * "Unable to detect operation AST": with `data: null` it reaches the client as the operation's
   * `next`, then `complete`, as graphql-sse sends any other result.
   */
  const plugin: Plugin = {
    onSubscribe({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (request?.url.split('?', 1)[0]?.endsWith(options.endpoint) !== true) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result) && !('data' in result)) setResult({ data: null, ...result });
        },
      };
    },
  };

  /**
   * Counts what an event stream's response takes from graphql-sse's queue, and ends its backlog
   * with it: Yoga's onResponse hook, called from the app's one response hook (app.ts).
   */
  const onResponse: NonNullable<Plugin['onResponse']> = ({
    request,
    response,
    serverContext,
    setResponse,
    fetchAPI,
  }) => {
    const backlog = backlogs.get(request);
    const res = (serverContext as { res?: ServerResponse }).res;
    if (!backlog || !res || !response.body || !isEventStream(response)) return;
    // graphql-sse drops its stream itself when the response closes (the request aborts).
    res.once('close', () => end(backlog));
    if (backlog.ended) res.destroy();
    backlog.res = res;
    // Read on demand, as the response writes: a TransformStream here (whatwg-node's) would
    // drain graphql-sse's queue into its own at once, whatever the socket takes.
    const reader = response.body.getReader();
    const body = new fetchAPI.ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        // "event: next" (pings and "event: complete" were not counted)
        if (value[0] === 101 && value[7] === 110) {
          backlog.bytes -= backlog.sizes.shift() ?? 0;
          if (backlog.bytes <= highWater) wake(backlog);
        }
        controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    setResponse(
      new fetchAPI.Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      }),
    );
  };

  function backlogOf(): Backlog {
    const backlog: Backlog = {
      sizes: [],
      bytes: 0,
      res: undefined,
      waiting: [],
      ended: false,
      get bufferedBytes() {
        return backlog.bytes + (backlog.res?.writableLength ?? 0);
      },
      // A NotificationStream's slow-consumer check: cut the whole event stream off.
      cut() {
        if (backlog.ended) return;
        if (backlog.res) backlog.res.destroy();
        else if ('slot' in backlog) void free(backlog as Reservation);
        end(backlog);
      },
    };
    return backlog;
  }

  function wake(backlog: Backlog) {
    const waiting = backlog.waiting;
    backlog.waiting = [];
    for (const resume of waiting) resume();
  }

  function reserve(token: string, userId: string) {
    const reservation = Object.assign(backlogOf(), {
      token,
      userId,
      slot: streams.reserve(userId),
      timer: undefined as NodeJS.Timeout | undefined,
    });
    reservation.timer = setTimeout(() => {
      void free(reservation);
      end(reservation);
    }, options.reservationTtlMs);
    reservation.timer.unref();
    reservations.set(token, reservation);
  }

  function end(backlog: Backlog) {
    backlog.ended = true;
    wake(backlog);
    if (!('slot' in backlog)) return;
    const reservation = backlog as Reservation;
    clearTimeout(reservation.timer);
    reservation.timer = undefined;
    streams.release(reservation.slot);
    if (reservations.get(reservation.token) === reservation) reservations.delete(reservation.token);
  }

  /** Frees graphql-sse's memory of a reservation whose event stream is not connected. */
  async function free(reservation: Reservation) {
    const request = new Request(`http://localhost${options.endpoint}`, {
      headers: { accept: 'text/event-stream', 'x-graphql-event-stream-token': reservation.token },
    });
    freeing.set(request, reservation.token);
    try {
      const response = await options.fetch(request);
      // Leaving the event stream: graphql-sse drops the reservation and completes its operations.
      await response.body?.cancel();
    } catch (error) {
      log.warn('could not free a stream reservation', { userId: reservation.userId, error: String(error) });
    }
  }

  return {
    handlerOptions: { authenticate, onNext },
    plugin,
    onResponse,
    /** The reservation an operation request runs in, for its context. */
    reservationOf(request: Request): StreamReservation | undefined {
      const backlog = backlogs.get(request);
      return backlog && 'slot' in backlog ? (backlog as Reservation).slot : undefined;
    },
    /** What a request's streams write through, graphql-sse's queue: for their slow-consumer check. */
    bufferOf(request: Request): StreamBuffer | undefined {
      return backlogs.get(request);
    },
    /** Reservations held now (reserved, or with their event stream connected). */
    get reservations() {
      return reservations.size;
    },
    stop() {
      for (const reservation of [...reservations.values()]) end(reservation);
    },
  };
}

function isEventStream(response: Response) {
  return response.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
}

/** An error answer in graphql-sse's handler form. */
export function errorResponse(status: number, code: string, message: string): HandlerResponse {
  const statusText = { 401: 'Unauthorized', 403: 'Forbidden', 429: 'Too Many Requests' }[status] ?? 'Error';
  return [
    JSON.stringify({ errors: [{ message, extensions: { code } }] }),
    { status, statusText, headers: { 'content-type': 'application/json; charset=utf-8' } },
  ];
}
