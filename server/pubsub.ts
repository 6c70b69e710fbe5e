import { createPubSub } from 'graphql-yoga';
import type { NotificationEventPayload } from './events.ts';

/** Every topic of Tidings' pub/sub, as labelled tuples: the routing key is the recipient's user id. */
export type PubSubEvents = {
  'notification:event': [userId: string, event: NotificationEventPayload];
};

/** The pub/sub that carries each user's notification events from mutations to their streams. */
export interface NotificationPubSub {
  publish(userId: string, event: NotificationEventPayload): void;
  /**
   * Starts listening at once (not when a consumer first pulls, as Yoga's `subscribe` does) and
   * returns the function that stops listening.
   */
  listen(userId: string, onEvent: (event: NotificationEventPayload) => void): () => void;
  /** Listeners attached now: tests use it to prove closed streams leave none behind. */
  listenerCount(): number;
}

/**
 * A typed pub/sub over an EventTarget: in-process by default; handing it a Redis event target
 * fans events out across instances without changing anything else.
 */
export function createNotificationPubSub(eventTarget: EventTarget = new EventTarget()): NotificationPubSub {
  const pubsub = createPubSub<PubSubEvents>({ eventTarget });
  let listeners = 0;
  return {
    publish: (userId, event) => pubsub.publish('notification:event', userId, event),
    listen(userId, onEvent) {
      // The topic Yoga's createPubSub dispatches for a keyed publish: `${routingKey}:${id}`.
      const topic = `notification:event:${userId}`;
      const listener = (event: Event) => onEvent((event as CustomEvent<NotificationEventPayload>).detail);
      eventTarget.addEventListener(topic, listener);
      listeners++;
      let listening = true;
      return () => {
        if (!listening) return;
        listening = false;
        listeners--;
        eventTarget.removeEventListener(topic, listener);
      };
    },
    listenerCount: () => listeners,
  };
}
