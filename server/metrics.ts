import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The Prometheus metrics of one Tidings server, served at /metrics. */
export function createMetrics() {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    openStreams: new Gauge({ name: 'tidings_open_streams', help: 'Open notificationEvents streams.', registers }),
    activeUsers: new Gauge({ name: 'tidings_active_users', help: 'Users with at least one open stream.', registers }),
    eventsPublished: new Counter({
      name: 'tidings_events_published_total',
      help: 'Events committed and published.',
      registers,
    }),
    eventsDelivered: new Counter({
      name: 'tidings_events_delivered_total',
      help: 'Events handed to streams (live and replayed).',
      registers,
    }),
    eventsReplayed: new Counter({
      name: 'tidings_events_replayed_total',
      help: 'Events replayed from the log to resuming streams.',
      registers,
    }),
    resyncs: new Counter({
      name: 'tidings_resyncs_total',
      help: 'Streams told to refetch: their cursor was unknown or expired.',
      registers,
    }),
    slowConsumers: new Counter({
      name: 'tidings_slow_consumer_disconnects_total',
      help: 'Streams cut off because their client stopped reading.',
      registers,
    }),
    streamsRefused: new Counter({
      name: 'tidings_streams_refused_total',
      help: 'Streams refused: too many open for the user.',
      registers,
    }),
    rateLimited: new Counter({
      name: 'tidings_rate_limited_total',
      help: 'Mutations refused by the rate limit.',
      registers,
    }),
    mutationSeconds: new Histogram({
      name: 'tidings_mutation_duration_seconds',
      help: 'Time to run a notification mutation, transaction and publish included.',
      labelNames: ['mutation'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    pushSent: new Counter({
      name: 'tidings_push_sent_total',
      help: 'Web pushes the push service accepted.',
      registers,
    }),
    pushFailed: new Counter({
      name: 'tidings_push_failed_total',
      help: 'Web pushes given up on (after their retries, or refused for good by the push service).',
      registers,
    }),
    pushRemoved: new Counter({
      name: 'tidings_push_subscriptions_removed_total',
      help: 'Push subscriptions removed: gone (404, 410), pointing at a private address, or failing 10 times in a row.',
      registers,
    }),
    pushDropped: new Counter({
      name: 'tidings_push_dropped_total',
      help: 'Web pushes dropped because a delivery queue was full.',
      registers,
    }),
    redisUp: new Gauge({
      name: 'tidings_redis_connected',
      help: '1 when Redis is configured and connected, 0 when configured and not.',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
