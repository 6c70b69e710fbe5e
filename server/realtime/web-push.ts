import type { Agent } from 'node:https';
import webpush, { WebPushError } from 'web-push';
import { errorFields, type Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { NotificationEventPayload, NotificationSnapshot } from './events.ts';
import { literalHostAllowed, PrivateAddressError } from './push-endpoints.ts';

/**
 * Web push delivery: a new notification reaches its user's browsers through their push services
 * when the user has no open stream anywhere, or whatever the streams when its kind is critical
 * (TIDINGS_CRITICAL_KINDS), if the kind's `push` preference is on. A notification stored archived
 * because its kind was muted (inApp false) is not pushed (critical kinds cannot be muted).
 *
 * It hears every event the instance that committed it publishes (`offer`, called by the pub/sub's
 * publish, after the commit), so each notification is considered once, by the instance that wrote
 * it, and the mutation only pays for an array push. Everything else happens off that path, in
 * three bounded stages:
 *
 * 1. Candidates (at most `maxCandidates` waiting; past that they are dropped, logged and counted)
 *    are taken up to 1,000 at a time: one query finds their users' subscriptions (most users have
 *    none, and their notifications stop here), one their kinds with push turned off, and one asks
 *    the presence (`listening`) which of them have a stream open.
 * 2. Sends (at most `maxQueue` waiting, dropped the same way past it) run `concurrency` at a
 *    time, through one HTTPS agent whose DNS lookup refuses private addresses (push-endpoints.ts).
 * 3. A send the push service answers 429, 5xx, or that fails on the network, is tried again after
 *    each of `retryDelaysMs` (a 429's Retry-After, when given, instead); 404 and 410 remove the
 *    subscription at once; any other failure, or the last retry's, counts against it, and
 *    ten in a row remove it.
 *
 * Presence, "does this user have a stream open on any instance", needs no state of its own: every
 * open stream listens on the pub/sub for its user, so the pub/sub knows (in-process: its
 * listeners; with Redis: its listeners, and Redis' count of subscribers of the user's channel,
 * PUBSUB NUMSUB, which includes every other instance's streams and forgets an instance the moment
 * its connection drops). While Redis is unreachable only this instance's streams count.
 */
export interface PushDelivery {
  /** Considers a committed event: the pub/sub calls it for every event this instance publishes. */
  offer(userId: string, event: NotificationEventPayload): void;
  /** Resolves when nothing is waiting, being sent, or due to be retried (tests). */
  idle(): Promise<void>;
  /** Drops what waits, cancels retries and ends the connections; nothing runs afterwards. */
  close(): Promise<void>;
}

/** A subscription as delivery needs it. */
export interface PushTarget {
  id: string;
  userId: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  /** Failed sends in a row. */
  failures: number;
}

/** The subscriptions and preferences delivery reads, and what it records (store/push-subscriptions.ts). */
export interface PushTargets {
  subscriptionsOf(userIds: readonly string[]): Promise<PushTarget[]>;
  /** Of these users' kinds, those with push turned off, as `preferenceKey(userId, kind)`. */
  pushOff(pairs: readonly { userId: string; kind: string }[]): Promise<Set<string>>;
  remove(id: string): Promise<void>;
  /** Counts a failed send; true when that removed the subscription (too many in a row). */
  failed(id: string, at: Date): Promise<boolean>;
  succeeded(id: string): Promise<void>;
}

/** Which of these users have a stream open on any instance (the pub/sub's `listening`). */
export type Presence = (userIds: readonly string[]) => Promise<Set<string>>;

export interface PushDeliveryOptions {
  targets: PushTargets;
  presence: Presence;
  vapid: { publicKey: string; privateKey: string; subject: string };
  /** The HTTPS agent of every push request (createPushAgent). */
  agent: Agent;
  /** TIDINGS_PUSH_ALLOW_PRIVATE_ENDPOINTS: tests only. */
  allowPrivate: boolean;
  isCritical: (kind: string) => boolean;
  log: Logger;
  metrics: Metrics;
  concurrency?: number;
  maxCandidates?: number;
  maxQueue?: number;
  retryDelaysMs?: readonly number[];
  /** How long a push service keeps a push for a browser that is offline. */
  ttlSeconds?: number;
  timeoutMs?: number;
}

/** The JSON a push carries (the web client's service worker reads exactly these fields). */
export interface PushPayload {
  id: string;
  kind: string;
  title: string;
  body: string | null;
  url: string | null;
  createdAt: string;
  critical: boolean;
}

/** The most bytes of JSON one push carries: push services take 4,096 encrypted bytes; this leaves room. */
export const maxPayloadBytes = 3_072;

/** The longest a 429's Retry-After is waited for; a longer one gives the send up. */
const maxRetryAfterMs = 5 * 60_000;

interface Candidate {
  userId: string;
  notification: NotificationSnapshot;
  critical: boolean;
}

interface Send {
  target: PushTarget;
  payload: string;
  critical: boolean;
  topic: string | undefined;
  attempt: number;
}

export function createPushDelivery(options: PushDeliveryOptions): PushDelivery {
  const {
    targets,
    presence,
    log,
    metrics,
    concurrency = 8,
    maxCandidates = 100_000,
    maxQueue = 10_000,
    retryDelaysMs = [1_000, 4_000, 16_000],
    ttlSeconds = 24 * 60 * 60,
    timeoutMs = 10_000,
  } = options;
  const vapidDetails = options.vapid;
  let candidates: Candidate[] = [];
  let sorting: Promise<void> | null = null;
  let scheduled: NodeJS.Immediate | undefined;
  const queue: Send[] = [];
  let active = 0;
  const sending = new Set<Promise<void>>();
  const retries = new Set<NodeJS.Timeout>();
  let closed = false;
  let idleWaiters: (() => void)[] = [];

  const isIdle = () =>
    candidates.length === 0 &&
    sorting === null &&
    scheduled === undefined &&
    queue.length === 0 &&
    active === 0 &&
    retries.size === 0;
  const checkIdle = () => {
    if (!isIdle()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const drop = (what: string, count: number, fields: Record<string, unknown> = {}) => {
    metrics.pushDropped.inc(count);
    log.warn(`web push: ${what} full; dropped`, { dropped: count, ...fields });
  };

  const schedule = () => {
    if (scheduled || sorting || closed) return;
    scheduled = setImmediate(() => {
      scheduled = undefined;
      sorting = sortCandidates()
        .catch((error: unknown) => log.error('web push: could not look up subscriptions', errorFields(error)))
        .finally(() => {
          sorting = null;
          if (candidates.length > 0) schedule();
          else checkIdle();
        });
    });
  };

  /** Stage 1: which candidates become sends (see the top of this module). */
  async function sortCandidates() {
    while (candidates.length > 0 && !closed) {
      const batch = candidates.splice(0, 1_000);
      const subscriptions = await targets.subscriptionsOf([...new Set(batch.map((candidate) => candidate.userId))]);
      if (subscriptions.length === 0) continue;
      const byUser = new Map<string, PushTarget[]>();
      for (const subscription of subscriptions) {
        const list = byUser.get(subscription.userId) ?? [];
        list.push(subscription);
        byUser.set(subscription.userId, list);
      }
      let wanted = batch.filter((candidate) => byUser.has(candidate.userId));
      const off = await targets.pushOff(
        wanted.map((candidate) => ({ userId: candidate.userId, kind: candidate.notification.kind })),
      );
      wanted = wanted.filter((candidate) => !off.has(preferenceKey(candidate.userId, candidate.notification.kind)));
      const ordinary = [...new Set(wanted.filter((candidate) => !candidate.critical).map((c) => c.userId))];
      const watching = ordinary.length > 0 ? await presence(ordinary) : new Set<string>();
      if (closed) return;
      for (const candidate of wanted) {
        if (!candidate.critical && watching.has(candidate.userId)) continue;
        const payload = payloadOf(candidate.notification, candidate.critical);
        for (const target of byUser.get(candidate.userId) ?? []) {
          enqueue({
            target,
            payload,
            critical: candidate.critical,
            topic: topicOf(candidate.notification.id),
            attempt: 0,
          });
        }
      }
    }
  }

  function enqueue(send: Send) {
    if (queue.length >= maxQueue) {
      drop('send queue', 1, { userId: send.target.userId });
      return;
    }
    queue.push(send);
    pump();
  }

  function pump() {
    while (!closed && active < concurrency && queue.length > 0) {
      const send = queue.shift() as Send;
      active++;
      const done = deliver(send).finally(() => {
        active--;
        sending.delete(done);
        pump();
        checkIdle();
      });
      sending.add(done);
    }
  }

  /** Stage 2 and 3: one send, and what its answer does. */
  async function deliver(send: Send) {
    const { target } = send;
    try {
      if (!literalHostAllowed(target.endpoint, options.allowPrivate)) {
        throw new PrivateAddressError(new URL(target.endpoint).hostname, new URL(target.endpoint).hostname);
      }
      await webpush.sendNotification(
        { endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } },
        send.payload,
        {
          vapidDetails,
          TTL: ttlSeconds,
          urgency: send.critical ? 'high' : 'normal',
          ...(send.topic ? { topic: send.topic } : {}),
          agent: options.agent,
          timeout: timeoutMs,
        },
      );
      metrics.pushSent.inc();
      if (target.failures > 0 && !closed) await targets.succeeded(target.id);
    } catch (error) {
      if (closed) return;
      await failed(send, error);
    }
  }

  async function failed(send: Send, error: unknown) {
    const { target } = send;
    const status = error instanceof WebPushError ? error.statusCode : null;
    const fields = { userId: target.userId, subscriptionId: target.id, status, attempt: send.attempt };
    if (status === 404 || status === 410 || isPrivate(error)) {
      // Gone (the browser unsubscribed), or it now points inside the network: never again.
      await targets.remove(target.id);
      metrics.pushRemoved.inc();
      log.info('web push: subscription removed', { ...fields, reason: status ?? 'private address' });
      return;
    }
    const retryable = status === null || status === 429 || status >= 500;
    const delay = retryable ? retryDelayOf(send.attempt, error) : null;
    if (delay !== null) {
      const timer = setTimeout(() => {
        retries.delete(timer);
        enqueue({ ...send, attempt: send.attempt + 1 });
        checkIdle();
      }, delay);
      retries.add(timer);
      log.debug('web push: send failed; retrying', { ...fields, delayMs: delay });
      return;
    }
    metrics.pushFailed.inc();
    log.warn('web push: send failed', { ...fields, ...errorFields(error) });
    if (await targets.failed(target.id, new Date())) metrics.pushRemoved.inc();
  }

  /** How long until the next try, or null when there is none left. */
  function retryDelayOf(attempt: number, error: unknown): number | null {
    const backoff = retryDelaysMs[attempt];
    if (backoff === undefined) return null;
    const retryAfter = error instanceof WebPushError ? retryAfterMs(error.headers?.['retry-after']) : null;
    if (retryAfter === null) return backoff;
    return retryAfter > maxRetryAfterMs ? null : retryAfter;
  }

  return {
    offer(userId, event) {
      if (closed || event.type !== 'NotificationCreated') return;
      const { notification } = event;
      const critical = options.isCritical(notification.kind);
      // Muted (stored archived, read and seen): quiet everywhere. Critical kinds cannot be muted.
      if (notification.archivedAt !== null && !critical) return;
      if (candidates.length >= maxCandidates) {
        drop('candidate queue', 1, { userId });
        return;
      }
      candidates.push({ userId, notification, critical });
      schedule();
    },
    idle() {
      if (isIdle()) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async close() {
      closed = true;
      candidates = [];
      queue.length = 0;
      if (scheduled) clearImmediate(scheduled);
      scheduled = undefined;
      for (const timer of retries) clearTimeout(timer);
      retries.clear();
      options.agent.destroy();
      await sorting;
      await Promise.allSettled([...sending]);
      checkIdle();
    },
  };
}

/** How PushTargets.pushOff names one user's kind. */
export function preferenceKey(userId: string, kind: string): string {
  return `${userId}\u0000${kind}`;
}

function isPrivate(error: unknown): boolean {
  return error instanceof PrivateAddressError || (error as { code?: string } | null)?.code === 'EPUSHPRIVATE';
}

/** A Retry-After header (seconds, or an HTTP date) in milliseconds from now; null when absent or unreadable. */
function retryAfterMs(header: string | string[] | undefined): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1_000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** A push service keeps only the newest push of one topic for an offline browser: a grouped notification's id. */
function topicOf(id: string): string | undefined {
  return /^[A-Za-z0-9_-]{1,32}$/.test(id) ? id : undefined;
}

/** The push's JSON, at most maxPayloadBytes: the body is cut (with "…") to fit, and then the url dropped. */
export function payloadOf(notification: NotificationSnapshot, critical: boolean): string {
  const payload: PushPayload = {
    id: notification.id,
    kind: notification.kind,
    title: notification.title,
    body: notification.body,
    url: notification.url,
    createdAt: notification.createdAt,
    critical,
  };
  let text = JSON.stringify(payload);
  if (Buffer.byteLength(text) <= maxPayloadBytes) return text;
  const body = [...(notification.body ?? '')];
  // The longest prefix of the body that fits, found by halving.
  let low = 0;
  let high = body.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    const candidate = JSON.stringify({ ...payload, body: `${body.slice(0, mid).join('')}…` });
    if (Buffer.byteLength(candidate) <= maxPayloadBytes) low = mid;
    else high = mid - 1;
  }
  text = JSON.stringify({ ...payload, body: low > 0 ? `${body.slice(0, low).join('')}…` : null });
  if (Buffer.byteLength(text) <= maxPayloadBytes) return text;
  return JSON.stringify({ ...payload, body: null, url: null });
}
