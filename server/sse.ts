import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

type Result = ExecutionResult & { extensions?: { cursor?: string } & Record<string, unknown> };

/** Where the subscription resolver leaves the cursor of the event it is resolving. */
export interface CursorCarrier {
  streamCursor?: string;
}

/**
 * Distinct-connection SSE, as Yoga writes it, plus what a plain EventSource needs to resume: each
 * `next` event carries its cursor as the SSE `id:` field, so the browser sends it back as
 * Last-Event-ID when it reconnects. Also sets the headers that keep proxies from buffering.
 */
export function useResumableSSE(pingMs = 12_000): Plugin {
  return {
    // Each result of a subscription gets extensions.cursor (whether or not the query selected it).
    onSubscribe() {
      return {
        onSubscribeResult() {
          return {
            onNext({ args, result, setResult }) {
              const cursor = (args.contextValue as CursorCarrier).streamCursor;
              if (cursor !== undefined) setResult({ ...result, extensions: { ...result.extensions, cursor } });
            },
          };
        },
      };
    },
    onResultProcess({ result, acceptableMediaTypes, setResultProcessor }) {
      if (!acceptableMediaTypes.includes('text/event-stream') || !isAsyncIterable(result)) return;
      setResultProcessor(
        (input, fetchAPI) => sseResponse(input as AsyncIterable<Result>, fetchAPI, pingMs),
        'text/event-stream',
      );
    },
  };
}

const encoder = new TextEncoder();
/** An SSE comment: keeps idle connections open through proxies. One buffer, shared by every stream. */
const ping = encoder.encode(':\n\n');

type Controller = ReadableStreamDefaultController<Uint8Array>;

/**
 * One timer pings every open stream, rather than a timer per stream: at 10,000 streams that is
 * 10,000 fewer timers to schedule, and no allocation per ping. Each tick pings one slot of
 * streams, so the writes are spread over the interval instead of arriving as one burst.
 */
class Pinger {
  readonly #slots: Set<Controller>[];
  readonly #slotOf = new Map<Controller, Set<Controller>>();
  #next = 0;
  #tick = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly everyMs: number) {
    // A tick about every 100 ms, each pinging one slot's streams.
    this.#slots = Array.from({ length: Math.max(1, Math.round(everyMs / 100)) }, () => new Set());
  }

  add(controller: Controller) {
    const slot = this.#slots[this.#next++ % this.#slots.length] as Set<Controller>;
    slot.add(controller);
    this.#slotOf.set(controller, slot);
    this.#timer ??= setInterval(() => this.#ping(), this.everyMs / this.#slots.length);
    this.#timer.unref();
  }

  delete(controller: Controller) {
    const slot = this.#slotOf.get(controller);
    if (!slot) return;
    slot.delete(controller);
    this.#slotOf.delete(controller);
    if (this.#slotOf.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #ping() {
    for (const controller of this.#slots[this.#tick++ % this.#slots.length] ?? []) {
      if (controller.desiredSize === null) this.delete(controller);
      else if (controller.desiredSize > 0) controller.enqueue(ping);
    }
  }
}

const pingers = new Map<number, Pinger>();

function sseResponse(
  results: AsyncIterable<Result>,
  fetchAPI: { ReadableStream: typeof ReadableStream; Response: typeof Response },
  pingMs: number,
) {
  const iterator = results[Symbol.asyncIterator]();
  let pinger = pingers.get(pingMs);
  if (!pinger) {
    pinger = new Pinger(pingMs);
    pingers.set(pingMs, pinger);
  }
  const pings = pinger;
  let stream: Controller | undefined;
  const body = new fetchAPI.ReadableStream<Uint8Array>({
    start(controller) {
      // Flush the headers at once: some clients wait for a first byte before they report "open".
      controller.enqueue(ping);
      stream = controller;
      pings.add(controller);
    },
    async pull(controller) {
      try {
        const { value, done } = await iterator.next();
        if (value != null) {
          const cursor = value.extensions?.cursor;
          const id = typeof cursor === 'string' && cursor !== '' ? `id: ${cursor}\n` : '';
          controller.enqueue(encoder.encode(`${id}event: next\ndata: ${JSON.stringify(publicResult(value))}\n\n`));
        }
        if (done) {
          controller.enqueue(encoder.encode('event: complete\ndata:\n\n'));
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
  return new fetchAPI.Response(body, {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    },
  });
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
