import type { NewNotification } from '../store/notifications.ts';
import { badUserInput } from './errors.ts';

/** The input rules of a notification (documented in the README and the schema). */
export const limits = { title: 200, body: 2_000, kind: 64, url: 2_048, dataBytes: 8 * 1024, dataDepth: 32 };

/** Checks a new notification against the input rules; a broken rule answers BAD_USER_INPUT naming its field. */
export function validNotification(input: {
  recipientId: string;
  title: string;
  body?: string | null;
  kind?: string | null;
  url?: string | null;
  data?: unknown;
}): NewNotification {
  for (const field of ['title', 'body', 'kind', 'url'] as const) checkText(field, input[field]);
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
    // Walked before it is stringified: JSON.stringify recurses, and a value nested thousands
    // deep would overflow the stack there (or in the database driver) instead of being refused.
    checkJson('data', input.data);
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

/** A UTF-16 code unit of a surrogate pair with no partner; with the `u` flag a pair is one code point and does not match. */
const loneSurrogate = /[\uD800-\uDFFF]/u;

/**
 * Refuses text no database takes the same way: PostgreSQL refuses NUL (U+0000) and unpaired
 * surrogates in text and jsonb, SQLite stores them. Both engines answer the same: BAD_USER_INPUT.
 */
export function checkText(field: string, value: string | null | undefined): void {
  if (value == null) return;
  if (value.includes('\u0000') || loneSurrogate.test(value)) {
    throw badUserInput(field, 'must not contain NUL characters (U+0000) or unpaired surrogates (U+D800 to U+DFFF).');
  }
}

/** The answer to a JSON value nested deeper than `limits.dataDepth`. */
export function tooDeep(field: string) {
  return badUserInput(field, `must be nested at most ${limits.dataDepth} arrays or objects deep.`);
}

/** Checks every key and string of a JSON value, and its nesting depth, without recursing. */
function checkJson(field: string, value: unknown): void {
  const pending: [value: unknown, depth: number][] = [[value, 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item === 'string') {
      checkText(field, item);
    } else if (typeof item === 'object' && item !== null) {
      if (depth >= limits.dataDepth) throw tooDeep(field);
      for (const [key, child] of Object.entries(item)) {
        if (!Array.isArray(item)) checkText(field, key);
        pending.push([child, depth + 1]);
      }
    }
  }
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
