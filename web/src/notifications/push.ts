import { stringifyDocument } from '@urql/core';
import { useCallback, useEffect, useState } from 'react';
import { useClient } from 'urql';
import { graphql } from '../gql/index.ts';
import { errorMessage } from './hooks.ts';

const WebPushPublicKeyQuery = graphql(/* GraphQL */ `
  query WebPushPublicKey {
    webPushPublicKey
  }
`);

const RegisterPushSubscriptionMutation = graphql(/* GraphQL */ `
  mutation RegisterPushSubscription($input: PushSubscriptionInput!) {
    registerPushSubscription(input: $input)
  }
`);

const UnregisterPushSubscriptionMutation = graphql(/* GraphQL */ `
  mutation UnregisterPushSubscription($endpoint: String!) {
    unregisterPushSubscription(endpoint: $endpoint)
  }
`);

/** Whether this browser can take web push: a service worker, a push manager, notifications. */
export function pushSupported(): boolean {
  return (
    import.meta.env.PROD &&
    typeof navigator !== 'undefined' &&
    'serviceWorker' in navigator &&
    typeof window !== 'undefined' &&
    'PushManager' in window &&
    'Notification' in window
  );
}

/** A base64url key (as the server gives its VAPID key) as the bytes pushManager.subscribe() takes. */
export function base64UrlBytes(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(text.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function sameKey(a: ArrayBuffer | null | undefined, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.byteLength) return false;
  const bytes = new Uint8Array(a);
  return bytes.every((byte, i) => byte === b[i]);
}

export interface PushSwitch {
  supported: boolean;
  /** This browser has a push subscription (for whichever user registered it last). */
  enabled: boolean;
  busy: boolean;
  problem: string | null;
  /** On: ask for permission, subscribe with the server's key, register it. Off: unsubscribe and unregister. */
  set(on: boolean): Promise<void>;
}

/**
 * Web push for this browser: notifications reach it while no tab of the app is open. The
 * subscription is the browser's (its service worker's), registered with the server for the
 * signed-in user.
 */
export function usePushSubscription(): PushSwitch {
  const client = useClient();
  const supported = pushSupported();
  const [enabled, setEnabled] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    if (!supported) return;
    let current = true;
    void navigator.serviceWorker.ready
      .then((registration) => registration.pushManager.getSubscription())
      .then((subscription) => {
        if (current) setEnabled(subscription !== null);
      });
    return () => {
      current = false;
    };
  }, [supported]);

  const subscribe = useCallback(async () => {
    if (Notification.permission !== 'granted' && (await Notification.requestPermission()) !== 'granted') {
      throw new Error('The browser did not allow notifications; change it in the site settings.');
    }
    const key = await client.query(WebPushPublicKeyQuery, {}, { requestPolicy: 'network-only' }).toPromise();
    if (!key.data) throw new Error(key.error ? errorMessage(key.error) : 'The server did not give its push key.');
    const applicationServerKey = base64UrlBytes(key.data.webPushPublicKey);
    const registration = await navigator.serviceWorker.ready;
    let subscription = await registration.pushManager.getSubscription();
    // Subscribed with another server key (the server's keys changed): start over with this one.
    if (subscription && !sameKey(subscription.options.applicationServerKey, applicationServerKey)) {
      await subscription.unsubscribe();
      subscription = null;
    }
    subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
    const { endpoint, keys } = subscription.toJSON();
    const registered = await client
      .mutation(RegisterPushSubscriptionMutation, {
        input: { endpoint: endpoint ?? '', p256dh: keys?.p256dh ?? '', auth: keys?.auth ?? '' },
      })
      .toPromise();
    if (registered.error) {
      await subscription.unsubscribe().catch(() => false);
      throw new Error(errorMessage(registered.error));
    }
  }, [client]);

  const unsubscribe = useCallback(async () => {
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.getSubscription();
    if (!subscription) return;
    const { endpoint } = subscription;
    await subscription.unsubscribe();
    const removed = await client.mutation(UnregisterPushSubscriptionMutation, { endpoint }).toPromise();
    // Unsubscribed in the browser already: the push service refuses the server's next push, and the server drops it then.
    if (removed.error && !removed.error.networkError) throw new Error(errorMessage(removed.error));
  }, [client]);

  const set = useCallback(
    async (on: boolean) => {
      setBusy(true);
      setProblem(null);
      try {
        if (on) await subscribe();
        else await unsubscribe();
        setEnabled(on);
      } catch (error) {
        setProblem(error instanceof Error ? error.message : String(error));
      } finally {
        setBusy(false);
      }
    },
    [subscribe, unsubscribe],
  );

  return { supported, enabled, busy, problem, set };
}

/**
 * Signing out: this browser stops receiving the user's pushes. The subscription is dropped in the
 * browser and unregistered while the session still stands (were that to fail, the push service
 * answers the server's next push 410 and the server drops it then).
 */
export async function forgetPushSubscription(): Promise<void> {
  if (!pushSupported()) return;
  try {
    const registration = await navigator.serviceWorker.getRegistration();
    const subscription = await registration?.pushManager.getSubscription();
    if (!subscription) return;
    const { endpoint } = subscription;
    await subscription.unsubscribe();
    await fetch('/graphql', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: stringifyDocument(UnregisterPushSubscriptionMutation), variables: { endpoint } }),
    });
  } catch {
    // Offline, or no worker: nothing more to do here.
  }
}
