import { badUserInput } from './errors.ts';
import type { NewNotification } from './notifications.ts';

/** The input rules of a notification (documented in the README and the schema). */
export const limits = { title: 200, body: 2_000, kind: 64, url: 2_048, dataBytes: 8 * 1024 };

/** Checks a new notification against the input rules; a broken rule answers BAD_USER_INPUT naming its field. */
export function validNotification(input: {
  recipientId: string;
  title: string;
  body?: string | null;
  kind?: string | null;
  url?: string | null;
  data?: unknown;
}): NewNotification {
  const title = input.title.trim();
  if (title.length < 1 || [...title].length > limits.title) {
    throw badUserInput('title', `must be 1 to ${limits.title} characters.`);
  }
  if (input.body != null && [...input.body].length > limits.body) {
    throw badUserInput('body', `must be at most ${limits.body} characters.`);
  }
  if (input.kind != null && !/^[A-Za-z0-9._-]{1,64}$/.test(input.kind)) {
    throw badUserInput('kind', `must be 1 to ${limits.kind} letters, digits, dots, dashes or underscores.`);
  }
  if (input.url != null) checkUrl(input.url);
  if (input.data !== undefined && input.data !== null) {
    const size = Buffer.byteLength(JSON.stringify(input.data), 'utf8');
    if (size > limits.dataBytes) {
      throw badUserInput('data', `must be at most ${limits.dataBytes} bytes of JSON (got ${size}).`);
    }
  }
  return {
    recipientId: input.recipientId,
    title,
    body: input.body ?? null,
    kind: input.kind ?? null,
    url: input.url ?? null,
    data: (input.data ?? null) as NewNotification['data'],
  };
}

function checkUrl(url: string) {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || url.length > limits.url) {
    throw badUserInput('url', 'must be an absolute http:// or https:// URL.');
  }
}
