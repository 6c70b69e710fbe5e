import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { SlotScheduler } from '../realtime/scheduler.ts';

type Result = ExecutionResult & { extensions?: { cursor?: string } & Record<string, unknown> };

/**
 * Distinct-connection SSE for the subscriptions Yoga serves itself (stream-endpoint.ts serves the
 * usual ones, GET and JSON POST, straight to the socket, in the same frames): Yoga's writer plus
 * what a plain EventSource needs to resume, each `next` event with its cursor as the SSE `id:`
 * field, and the headers that keep proxies from buffering. Its pings share one timer per app.
 */
export function useResumableSSE(pings: SsePinger): Plugin {
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

type Controller = ReadableStreamDefaultController<Uint8Array>;

/** Pings the streams this module writes, one app's worth: every open stream, on one shared timer. */
export type SsePinger = SlotScheduler<Controller>;

/** The pinger of one app's Yoga-written streams (an app builds one and hands it to useResumableSSE). */
export function createSsePinger(pingMs = pingEveryMs): SsePinger {
  return new SlotScheduler<Controller>(pingMs, (controller) => {
    if (controller.desiredSize === null) return false;
    if (controller.desiredSize > 0) controller.enqueue(pingBytes);
    return true;
  });
}

function sseResponse(
  results: AsyncIterable<Result>,
  fetchAPI: { ReadableStream: typeof ReadableStream; Response: typeof Response },
  pings: SsePinger,
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
