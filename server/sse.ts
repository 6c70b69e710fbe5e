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

function sseResponse(
  results: AsyncIterable<Result>,
  fetchAPI: { ReadableStream: typeof ReadableStream; Response: typeof Response },
  pingMs: number,
) {
  const encoder = new TextEncoder();
  const iterator = results[Symbol.asyncIterator]();
  let ping: NodeJS.Timeout | undefined;
  const body = new fetchAPI.ReadableStream<Uint8Array>({
    start(controller) {
      // Flush the headers at once: some clients wait for a first byte before they report "open".
      controller.enqueue(encoder.encode(':\n\n'));
      ping = setInterval(() => {
        if (controller.desiredSize === null) clearInterval(ping);
        else if (controller.desiredSize > 0) controller.enqueue(encoder.encode(':\n\n'));
      }, pingMs);
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
          clearInterval(ping);
          controller.close();
        }
      } catch (error) {
        clearInterval(ping);
        controller.error(error);
      }
    },
    async cancel() {
      clearInterval(ping);
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
