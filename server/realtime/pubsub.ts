import { randomUUID } from 'node:crypto';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { errorFields, type Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { EventSubscriber, NotificationEventPayload } from './events.ts';
import { type StreamStats, sumStats } from './stats.ts';

/** What travels between instances: the event, and which instance published it. */
export interface Envelope {
  origin: string;
  event: NotificationEventPayload;
}

/** Every topic of Tidings' pub/sub, as labelled tuples: the routing key is the recipient's user id. */
export type PubSubEvents = {
  'notification:event': [userId: string, envelope: Envelope];
};

/** The pub/sub that carries each user's notification events from mutations to their streams. */
export interface NotificationPubSub extends EventSubscriber {
  publish(userId: string, event: NotificationEventPayload): void;
  /** Listeners attached now: tests use it to prove closed streams leave none behind. */
  listenerCount(): number;
  /** Redis' state, or null when events stay in this process. */
  redisState(): 'connected' | 'disconnected' | null;
  /** Stream statistics of every live instance (this one's passed in, the others' read from Redis). */
  clusterStats(local: StreamStats): Promise<StreamStats>;
  /**
   * Which of these users have a stream open on any instance: every open stream listens here for
   * its user (see web-push.ts). In-process: this process' listeners; with Redis, also the
   * subscribers of each user's channel (PUBSUB NUMSUB), which counts every instance's streams.
   */
  listening(userIds: readonly string[]): Promise<Set<string>>;
  /** Called after Redis comes back, so streams can read what they may have missed from the log. */
  onReconnect(callback: () => void): void;
  close(): Promise<void>;
}

export interface PubSubOptions {
  redisUrl?: string | undefined;
  log: Logger;
  metrics: Metrics;
  /** This instance's stream statistics, reported to Redis for clusterStats. */
  localStats?: () => StreamStats;
  /** Told of every event this instance publishes (after its commit): web push (web-push.ts). */
  onPublish?: (userId: string, event: NotificationEventPayload) => void;
}

/** How long a stream waits for Redis to confirm a subscription before it goes on without it. */
const subscribeTimeoutMs = 2_000;
const statsKey = 'tidings:stats:';
const statsEveryMs = 5_000;

/**
 * A typed pub/sub keyed by user id: in-process by default; with REDIS_URL, events fan out to every
 * instance through Redis (one channel per user with open streams). Events of this instance are
 * delivered locally whatever Redis is doing, so its own streams never depend on it.
 */
export function createNotificationPubSub(options: PubSubOptions): NotificationPubSub {
  const origin = randomUUID();
  // This process' listeners by user: a Map of Sets rather than an EventTarget, which kept a topic
  // string, a listener record and a wrapper per stream, and made a CustomEvent per delivery.
  const local = new Map<string, Set<(event: NotificationEventPayload) => void>>();
  let listeners = 0;
  const reconnectCallbacks: (() => void)[] = [];

  const dispatchLocal = (userId: string, event: NotificationEventPayload) => {
    const forUser = local.get(userId);
    if (!forUser) return;
    for (const onEvent of forUser) {
      // One failing listener must neither keep the event from the others nor fail the mutation
      // that published it (its write has committed).
      try {
        onEvent(event);
      } catch (error) {
        options.log.error('a stream could not take an event', { userId, ...errorFields(error) });
      }
    }
  };

  const onPublish = (userId: string, event: NotificationEventPayload) => {
    try {
      options.onPublish?.(userId, event);
    } catch (error) {
      options.log.error('web push could not take an event', { userId, ...errorFields(error) });
    }
  };
  const listeningHere = (userIds: readonly string[]) => new Set(userIds.filter((userId) => local.has(userId)));

  if (!options.redisUrl) {
    return {
      publish: (userId, event) => {
        options.metrics.eventsPublished.inc();
        dispatchLocal(userId, event);
        onPublish(userId, event);
      },
      listening: async (userIds) => listeningHere(userIds),
      listen: (userId, onEvent) => ({ stop: attach(userId, onEvent), ready: Promise.resolve() }),
      listenerCount: () => listeners,
      redisState: () => null,
      clusterStats: async (stats) => stats,
      onReconnect: () => undefined,
      close: async () => undefined,
    };
  }

  const redisOptions = {
    maxRetriesPerRequest: null,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
  };
  // Auto-pipelining sends the commands of one event-loop turn in one write: a batch of creates
  // publishes all its events in one turn. One connection answers in order, so each user's events
  // still reach Redis in the order they were published.
  const publishClient = new Redis(options.redisUrl, { ...redisOptions, enableAutoPipelining: true });
  const subscribeClient = new Redis(options.redisUrl, redisOptions);
  const redisTarget = createRedisEventTarget({ publishClient, subscribeClient });
  const pubsub = createPubSub<PubSubEvents>({ eventTarget: redisTarget });
  const channels = new Map<string, { count: number; stop: () => void }>();
  let connected = false;
  let everConnected = false;

  subscribeClient.on('ready', () => {
    connected = true;
    options.metrics.redisUp.set(1);
    if (everConnected) {
      options.log.info('redis reconnected');
      // ioredis sends its SUBSCRIBEs again on 'ready' but does not wait for them. Streams read the
      // log only once Redis has confirmed them: an event published in between would otherwise
      // reach neither the stream nor its catch-up.
      const run = () => {
        for (const callback of reconnectCallbacks) callback();
      };
      void resubscribed().then(run, run);
    } else {
      options.log.info('redis connected');
    }
    everConnected = true;
  });
  subscribeClient.on('close', () => {
    if (connected) options.log.warn('redis connection lost; reconnecting');
    connected = false;
    options.metrics.redisUp.set(0);
  });
  for (const client of [publishClient, subscribeClient]) {
    // ioredis retries by itself; the 'close' handler above says so once.
    client.on('error', () => undefined);
  }

  const statsTimer = setInterval(() => {
    if (!connected || !options.localStats) return;
    void publishClient
      .set(`${statsKey}${origin}`, JSON.stringify(options.localStats()), 'PX', statsEveryMs * 3)
      .catch(() => undefined);
  }, statsEveryMs);
  statsTimer.unref();

  return {
    publish(userId, event) {
      options.metrics.eventsPublished.inc();
      dispatchLocal(userId, event);
      if (connected) pubsub.publish('notification:event', userId, { origin, event });
      onPublish(userId, event);
    },
    listen(userId, onEvent) {
      const stopLocal = attach(userId, onEvent);
      const ready = subscribeRemote(userId);
      let stopped = false;
      return {
        ready,
        stop() {
          if (stopped) return;
          stopped = true;
          stopLocal();
          const channel = channels.get(userId);
          if (channel && --channel.count === 0) {
            channel.stop();
            channels.delete(userId);
          }
        },
      };
    },
    listenerCount: () => listeners,
    async listening(userIds) {
      const found = listeningHere(userIds);
      const rest = userIds.filter((userId) => !found.has(userId));
      if (!connected) return found;
      try {
        for (let i = 0; i < rest.length; i += 1_000) {
          const page = rest.slice(i, i + 1_000);
          // [channel, count, channel, count, …]
          const counts = (await publishClient.call('PUBSUB', 'NUMSUB', ...page.map(topicOf))) as unknown[];
          page.forEach((userId, j) => {
            if (Number(counts[j * 2 + 1]) > 0) found.add(userId);
          });
        }
      } catch (error) {
        // As while Redis is away: only this instance's streams count.
        options.log.warn('could not ask redis who is listening', errorFields(error));
      }
      return found;
    },
    redisState: () => (connected ? 'connected' : 'disconnected'),
    async clusterStats(stats) {
      if (!connected) return stats;
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await publishClient.scan(cursor, 'MATCH', `${statsKey}*`, 'COUNT', 100);
        cursor = next;
        keys.push(...found.filter((key) => key !== `${statsKey}${origin}`));
      } while (cursor !== '0');
      const others = keys.length ? await publishClient.mget(keys) : [];
      return sumStats([
        stats,
        ...others.filter((raw): raw is string => raw !== null).map((raw) => JSON.parse(raw) as StreamStats),
      ]);
    },
    onReconnect: (callback) => reconnectCallbacks.push(callback),
    async close() {
      clearInterval(statsTimer);
      await publishClient.del(`${statsKey}${origin}`).catch(() => undefined);
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };

  /**
   * Resolves once Redis has confirmed this instance's subscriptions: one connection's commands
   * are answered in order, so a SUBSCRIBE sent now (a no-op for channels subscribed already)
   * is answered after the ones ioredis sent on reconnecting.
   */
  function resubscribed(): Promise<unknown> {
    const topics = [...channels.keys()].map(topicOf);
    return topics.length > 0 ? subscribeClient.subscribe(...topics) : Promise.resolve();
  }

  /** One Redis subscription per user with listeners here, shared by their streams. */
  function subscribeRemote(userId: string): Promise<void> {
    const existing = channels.get(userId);
    if (existing) {
      existing.count++;
      return Promise.resolve();
    }
    const onEnvelope = (event: Event) => {
      const envelope = (event as CustomEvent<Envelope>).detail;
      if (envelope.origin !== origin) dispatchLocal(userId, envelope.event);
    };
    // Listening on the event target sends SUBSCRIBE now (Yoga's subscribe() would wait for a first
    // pull); the second SUBSCRIBE below resolves once Redis has confirmed the first, as Redis
    // answers one connection's commands in order.
    const topic = topicOf(userId);
    redisTarget.addEventListener(topic, onEnvelope);
    channels.set(userId, { count: 1, stop: () => redisTarget.removeEventListener(topic, onEnvelope) });
    const confirmed = subscribeClient.subscribe(topic).then(() => undefined);
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, subscribeTimeoutMs).unref());
    return Promise.race([confirmed.catch(() => undefined), timeout]);
  }

  function attach(userId: string, onEvent: (event: NotificationEventPayload) => void) {
    let forUser = local.get(userId);
    if (!forUser) {
      forUser = new Set();
      local.set(userId, forUser);
    }
    // The same function attached twice listens once, as with an EventTarget.
    if (!forUser.has(onEvent)) listeners++;
    forUser.add(onEvent);
    return () => {
      if (!forUser.delete(onEvent)) return;
      listeners--;
      if (forUser.size === 0 && local.get(userId) === forUser) local.delete(userId);
    };
  }
}

/** The Redis channel of a user's events (as @graphql-yoga/redis-event-target names it). */
function topicOf(userId: string): string {
  return `notification:event:${userId}`;
}
