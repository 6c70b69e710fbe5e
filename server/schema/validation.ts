import type { NotificationAction } from '../realtime/events.ts';
import type { NewNotification } from '../store/notifications.ts';
import { badUserInput } from './errors.ts';

/** The input rules of a notification (documented in the README and the schema). */
export const limits = {
  title: 200,
  body: 2_000,
  kind: 64,
  url: 2_048,
  dataBytes: 8 * 1024,
  dataDepth: 32,
  actions: 3,
  actionId: 64,
  actionLabel: 40,
  groupKey: 128,
  expiresInDays: 366,
  snoozeDays: 90,
  kindsFilter: 50,
  topic: 128,
  recipients: 10_000,
};

const day = 24 * 60 * 60 * 1000;

/** A kind: letters, digits, dots, dashes or underscores. */
const kindPattern = /^[A-Za-z0-9._-]{1,64}$/;

/** Checks a new notification against the input rules; a broken rule answers BAD_USER_INPUT naming its field. */
export function validNotification(input: {
  recipientId: string;
  title: string;
  body?: string | null;
  kind?: string | null;
  url?: string | null;
  data?: unknown;
  actions?: readonly { id: string; label: string; url?: string | null; primary?: boolean | null }[] | null;
  expiresAt?: Date | null;
  groupKey?: string | null;
}): NewNotification {
  for (const field of ['title', 'body', 'kind', 'url', 'groupKey'] as const) checkText(field, input[field]);
  const title = input.title.trim();
  if (title.length < 1 || [...title].length > limits.title) {
    throw badUserInput('title', `must be 1 to ${limits.title} characters.`);
  }
  if (input.body != null && [...input.body].length > limits.body) {
    throw badUserInput('body', `must be at most ${limits.body} characters.`);
  }
  if (input.kind != null && !kindPattern.test(input.kind)) {
    throw badUserInput('kind', `must be 1 to ${limits.kind} letters, digits, dots, dashes or underscores.`);
  }
  if (input.url != null) checkUrl('url', input.url);
  if (input.groupKey != null && (input.groupKey.length < 1 || [...input.groupKey].length > limits.groupKey)) {
    throw badUserInput('groupKey', `must be 1 to ${limits.groupKey} characters.`);
  }
  if (input.expiresAt != null) checkFuture('expiresAt', input.expiresAt, limits.expiresInDays, 'a year');
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
    actions: validActions(input.actions),
    expiresAt: input.expiresAt ?? null,
    groupKey: input.groupKey ?? null,
  };
}

/** At most three buttons, ids unique, labels 1 to 40 characters, urls as a notification's. */
function validActions(actions: Parameters<typeof validNotification>[0]['actions']): NotificationAction[] | null {
  if (actions == null || actions.length === 0) return null;
  if (actions.length > limits.actions) throw badUserInput('actions', `must be at most ${limits.actions} actions.`);
  const ids = new Set<string>();
  return actions.map((action) => {
    for (const text of [action.id, action.label, action.url]) checkText('actions', text);
    if (!kindPattern.test(action.id)) {
      throw badUserInput(
        'actions',
        `each id must be 1 to ${limits.actionId} letters, digits, dots, dashes or underscores.`,
      );
    }
    if (ids.has(action.id)) throw badUserInput('actions', `ids must be unique ("${action.id}" appears twice).`);
    ids.add(action.id);
    const label = action.label.trim();
    if (label.length < 1 || [...label].length > limits.actionLabel) {
      throw badUserInput('actions', `each label must be 1 to ${limits.actionLabel} characters.`);
    }
    if (action.url != null) checkUrl('actions', action.url);
    return { id: action.id, label, url: action.url ?? null, primary: action.primary ?? false };
  });
}

/** A time after now and at most `days` ahead. */
export function checkFuture(field: string, at: Date, days: number, inWords: string): void {
  const now = Date.now();
  if (at.getTime() <= now) throw badUserInput(field, 'must be in the future.');
  if (at.getTime() > now + days * day) throw badUserInput(field, `must be at most ${inWords} ahead.`);
}

/** A snooze's end: in the future, at most 90 days ahead. */
export function checkSnooze(until: Date): void {
  checkFuture('until', until, limits.snoozeDays, `${limits.snoozeDays} days`);
}

/** A list of kinds to filter by. */
export function checkKinds(kinds: readonly string[] | null | undefined): void {
  if (kinds == null) return;
  if (kinds.length > limits.kindsFilter) throw badUserInput('kinds', `must name at most ${limits.kindsFilter} kinds.`);
  for (const kind of kinds) {
    if (!kindPattern.test(kind)) {
      throw badUserInput(
        'kinds',
        `each kind must be 1 to ${limits.kind} letters, digits, dots, dashes or underscores.`,
      );
    }
  }
}

/** An action id argument. */
export function checkActionId(actionId: string): void {
  checkText('actionId', actionId);
  if (!kindPattern.test(actionId)) {
    throw badUserInput('actionId', `must be 1 to ${limits.actionId} letters, digits, dots, dashes or underscores.`);
  }
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

function checkUrl(field: string, url: string) {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || url.length > limits.url) {
    throw badUserInput(field, 'must be an absolute http:// or https:// URL.');
  }
}

/** A kind argument. */
export function checkKind(field: string, kind: string): void {
  checkText(field, kind);
  if (!kindPattern.test(kind)) {
    throw badUserInput(field, `must be 1 to ${limits.kind} letters, digits, dots, dashes or underscores.`);
  }
}

/** A topic name: up to 128 letters, digits, `.`, `-`, `_`, `:`. */
export function checkTopic(topic: string, field = 'topic'): void {
  checkText(field, topic);
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(topic)) {
    throw badUserInput(field, `must be 1 to ${limits.topic} letters, digits, dots, dashes, underscores or colons.`);
  }
}

/** A list of user ids: at most 10,000, each text the database takes. */
export function checkUserIds(field: string, ids: readonly string[]): void {
  if (ids.length === 0) throw badUserInput(field, 'must name at least one user.');
  if (ids.length > limits.recipients)
    throw badUserInput(field, `must name at most ${limits.recipients.toLocaleString('en')} users.`);
  for (const id of ids) checkText(field, id);
}
