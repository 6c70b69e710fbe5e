import { type Client, createClient } from 'graphql-sse';
import type { TestServer } from './server.ts';

export type SseMode = 'distinct' | 'single';

export interface StreamEventResult {
  __typename: string;
  cursor: string;
  unreadCount: number;
  [field: string]: unknown;
}

export const notificationEvents = /* GraphQL */ `
  subscription {
    notificationEvents {
      __typename
      cursor
      unreadCount
      ... on NotificationCreated { notification { id title read } }
      ... on NotificationRead { notification { id read readAt } }
      ... on NotificationDeleted { notificationId }
      ... on AllNotificationsRead { readAt count }
      ... on NotificationStreamReady { at }
      ... on NotificationStreamHeartbeat { at }
    }
  }
`;

export interface TestSubscription {
  /** The next event not taken yet; fails after `timeoutMs`. */
  next(timeoutMs?: number): Promise<StreamEventResult>;
  /** Takes events until one matches, and returns it; fails after `timeoutMs`. */
  waitFor(predicate: (event: StreamEventResult) => boolean, timeoutMs?: number): Promise<StreamEventResult>;
  /** Events received but not taken yet. */
  pending(): StreamEventResult[];
  /** Resolves when the server completes the stream; rejects on an error. */
  completed: Promise<void>;
  dispose(): void;
}

/**
 * Subscribes through the real graphql-sse client, in distinct-connection mode (on /graphql, as
 * Yoga serves it) or single-connection mode (on /graphql/stream), like graphql-sse's `tsubscribe`.
 */
export function subscribe(
  server: TestServer,
  headers: Record<string, string>,
  mode: SseMode = 'distinct',
  query = notificationEvents,
  variables: Record<string, unknown> = {},
): TestSubscription {
  const client: Client<boolean> = createClient({
    url: `${server.url}${mode === 'single' ? '/graphql/stream' : '/graphql'}`,
    singleConnection: mode === 'single',
    // A copy: in single-connection mode the client writes its stream token into this object.
    headers: () => ({ ...headers }),
    retryAttempts: 0,
    lazy: true,
  });
  const received: StreamEventResult[] = [];
  let wake: (() => void) | undefined;
  let failure: unknown;
  let resolveCompleted!: () => void;
  let rejectCompleted!: (error: unknown) => void;
  const completed = new Promise<void>((resolve, reject) => {
    resolveCompleted = resolve;
    rejectCompleted = reject;
  });
  completed.catch(() => undefined);

  const unsubscribe = client.subscribe<{ notificationEvents: StreamEventResult }>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) failure = new Error(JSON.stringify(result.errors));
        else if (result.data) received.push(result.data.notificationEvents);
        wake?.();
      },
      error: (error) => {
        failure = error;
        rejectCompleted(error);
        wake?.();
      },
      complete: () => {
        resolveCompleted();
        wake?.();
      },
    },
  );

  async function waitFor(predicate: (event: StreamEventResult) => boolean, timeoutMs = 5_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (received.length > 0) {
        const event = received.shift() as StreamEventResult;
        if (predicate(event)) return event;
      }
      if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
      });
    }
  }

  return {
    next: (timeoutMs) => waitFor(() => true, timeoutMs),
    waitFor,
    pending: () => [...received],
    completed,
    dispose() {
      unsubscribe();
      client.dispose();
    },
  };
}

/**
 * A raw SSE response read block by block (the blank-line-separated events, pings included), for
 * tests about the bytes and the path a stream takes rather than its GraphQL results.
 */
export async function openRawStream(url: string, init: RequestInit) {
  const controller = new AbortController();
  const response = await fetch(url, { ...init, signal: controller.signal });
  const blocks: string[] = [];
  let failure: unknown;
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        blocks.push(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  })().catch((error: unknown) => {
    if (!controller.signal.aborted) failure = error;
  });
  return {
    response,
    /** The `next` events so far, pings left out. */
    events: () => {
      if (failure) throw failure;
      return blocks.filter((block) => !block.startsWith(':'));
    },
    close: () => controller.abort(),
  };
}
