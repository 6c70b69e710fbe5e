import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

type Result = ExecutionResult & { extensions?: { cursor?: string } & Record<string, unknown> };

/**
 * Distinct-connection SSE for the subscriptions Yoga serves itself (stream-endpoint.ts serves the
 * usual ones, GET and JSON POST, straight to the socket, in the same frames): Yoga's writer plus
 * what a plain EventSource needs to resume, each `next` event with its cursor as the SSE `id:`
 * field, and the headers that keep proxies from buffering. Its pings share one timer per app.
 */
export function useResumableSSE(pingMs = pingEveryMs): Plugin {
  const pings = new Pinger<Controller>(pingMs, (controller) => {
    if (controller.desiredSize === null) return false;
    if (controller.desiredSize > 0) controller.enqueue(pingBytes);
    return true;
  });
  return {
    onResultProcess({ result, acceptableMediaTypes, setResultProcessor }) {
      if (!acceptableMediaTypes.includes('text/event-stream') || !isAsyncIterable(result)) return;
      setResultProcessor(
        (input, fetchAPI) => sseResponse(input as AsyncIterable<Result>, fetchAPI, pings),
        'text/event-stream',
      );
    },
  };
}

const encoder = new TextEncoder();
/** How often every event stream gets an SSE comment (Yoga's interval): proxies then keep it open. */
export const pingEveryMs = 12_000;
/** An SSE comment: keeps idle connections open through proxies. */
export const pingFrame = ':\n\n';
const pingBytes = encoder.encode(pingFrame);
export const completeFrame = 'event: complete\ndata:\n\n';

/** The headers of every event stream: no proxy may cache or buffer it. */
export const streamHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  connection: 'keep-alive',
};

/**
 * One `next` event: the result, and its `extensions.cursor` (event-results.ts puts it there, from
 * the event) as the SSE `id:`, which a plain EventSource sends back as Last-Event-ID.
 */
export function eventFrame(result: Result): string {
  const cursor = result.extensions?.cursor;
  const id = typeof cursor === 'string' && cursor !== '' ? `id: ${cursor}\n` : '';
  return `${id}event: next\ndata: ${JSON.stringify(publicResult(result))}\n\n`;
}

/**
 * One timer pings every open stream, rather than a timer per stream: at 10,000 streams that is
 * 10,000 fewer timers to schedule, and no allocation per ping. Each tick pings one slot of
 * streams, so the writes are spread over the interval instead of arriving as one burst.
 * `ping` returns false for a stream that is gone, which then leaves.
 */
export class Pinger<T> {
  readonly #slots: Set<T>[];
  readonly #slotOf = new Map<T, Set<T>>();
  #tick = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly everyMs: number,
    private readonly ping: (stream: T) => boolean,
  ) {
    // A tick about every 20 ms, each pinging one slot's streams: small enough that no event
    // waits long behind a tick's writes.
    this.#slots = Array.from({ length: Math.max(1, Math.round(everyMs / 20)) }, () => new Set());
  }

  add(stream: T) {
    // The slot pinged last: a new stream hears its first ping one interval after it opened, not
    // at some moment right after the bytes that opened it.
    const slot = this.#slots[(this.#tick + this.#slots.length - 1) % this.#slots.length] as Set<T>;
    slot.add(stream);
    this.#slotOf.set(stream, slot);
    this.#timer ??= setInterval(() => this.#pingSlot(), this.everyMs / this.#slots.length);
    this.#timer.unref();
  }

  delete(stream: T) {
    const slot = this.#slotOf.get(stream);
    if (!slot) return;
    slot.delete(stream);
    this.#slotOf.delete(stream);
    if (this.#slotOf.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Streams being pinged: for tests that check nothing is left behind. */
  get size() {
    return this.#slotOf.size;
  }

  #pingSlot() {
    for (const stream of this.#slots[this.#tick++ % this.#slots.length] ?? []) {
      if (!this.ping(stream)) this.delete(stream);
    }
  }
}

type Controller = ReadableStreamDefaultController<Uint8Array>;

function sseResponse(
  results: AsyncIterable<Result>,
  fetchAPI: { ReadableStream: typeof ReadableStream; Response: typeof Response },
  pings: Pinger<Controller>,
) {
  const iterator = results[Symbol.asyncIterator]();
  let stream: Controller | undefined;
  const body = new fetchAPI.ReadableStream<Uint8Array>({
    start(controller) {
      // Flush the headers at once: some clients wait for a first byte before they report "open".
      controller.enqueue(pingBytes);
      stream = controller;
      pings.add(controller);
    },
    async pull(controller) {
      try {
        const { value, done } = await iterator.next();
        if (value != null) controller.enqueue(encoder.encode(eventFrame(value)));
        if (done) {
          controller.enqueue(encoder.encode(completeFrame));
          pings.delete(controller);
          controller.close();
        }
      } catch (error) {
        pings.delete(controller);
        controller.error(error);
      }
    },
    async cancel() {
      if (stream) pings.delete(stream);
      await iterator.return?.();
    },
  });
  return new fetchAPI.Response(body, { status: 200, headers: streamHeaders });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

/** A result without Yoga's internal `http` error extensions, as Yoga's own writer sends it. */
function publicResult(result: Result) {
  if (!result.errors?.length) return result;
  return {
    ...result,
    errors: result.errors.map((error) => {
      const { http: _http, ...extensions } = (error.extensions ?? {}) as Record<string, unknown>;
      return { ...error.toJSON(), extensions };
    }),
  };
}
