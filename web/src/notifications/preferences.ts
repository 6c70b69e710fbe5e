import { useCallback, useMemo, useRef } from 'react';
import { useMutation, useQuery } from 'urql';
import type { KindPreferenceFieldsFragment } from '../gql/graphql.ts';
import type { StreamEvent } from '../urql/cache.ts';
import { defaultPreference } from '../urql/cache.ts';
import {
  MyTopicsQuery,
  NotificationPreferencesQuery,
  SetNotificationPreferenceMutation,
  SubscribeToTopicMutation,
  UnsubscribeFromTopicMutation,
} from './documents.ts';
import { type MutationOutcome, useListening } from './hooks.ts';
import { useStreamEvents } from './NotificationsProvider.tsx';

export type KindPreference = KindPreferenceFieldsFragment;

/** The settings of a kind a user can change. */
export type PreferenceChange = Partial<Pick<KindPreference, 'inApp' | 'push' | 'desktop' | 'sound'>>;

/**
 * The viewer's preferences per kind (one per kind they have received or set), kept in step with
 * every tab by `NotificationPreferenceChanged`, and the change that applies at once (rolled back
 * when refused: a critical kind cannot be muted).
 */
export function useNotificationPreferences() {
  const { pause } = useListening();
  const [result, refetch] = useQuery({ query: NotificationPreferencesQuery, pause });
  const [, set] = useMutation(SetNotificationPreferenceMutation);
  const preferences = useMemo(() => result.data?.notificationPreferences ?? [], [result.data]);

  // A kind received for the first time has a preference on the server now (and only the server
  // knows whether it is critical): ask again. Asked after the event, so the answer has it.
  const known = useRef(preferences);
  known.current = preferences;
  useStreamEvents(
    useCallback(
      (event: StreamEvent) => {
        if (event.__typename !== 'NotificationCreated' || pause) return;
        const { kind } = event.notification;
        if (!known.current.some((preference) => preference.kind === kind)) refetch({ requestPolicy: 'network-only' });
      },
      [pause, refetch],
    ),
  );
  /** A kind's preference; the defaults for a kind never received or set. */
  const preferenceOf = useCallback(
    (kind: string): KindPreference =>
      preferences.find((preference) => preference.kind === kind) ?? { ...defaultPreference, kind },
    [preferences],
  );
  const setPreference = useCallback(
    (kind: string, change: PreferenceChange): MutationOutcome =>
      set({ kind, ...change }).then(({ error }) => (error ? { error } : {})),
    [set],
  );
  return { preferences, preferenceOf, setPreference, isLoading: !result.data && !result.error, error: result.error };
}

/** The server's rule for topic names (server/schema/validation.ts): 1 to 128 of these characters. */
export const topicName = /^[A-Za-z0-9._:-]{1,128}$/;

/** Why a topic name would be refused, or null when the server's rule allows it. */
export function topicProblem(topic: string): string | null {
  if (topic.length === 0) return 'Type a topic name.';
  if (topic.length > 128) return 'A topic name has at most 128 characters.';
  if (!topicName.test(topic)) return 'Use only letters, digits, and . - _ : (no spaces).';
  return null;
}

/** The topics the viewer follows (in name order), and following or leaving one. */
export function useTopics() {
  const [result] = useQuery({ query: MyTopicsQuery });
  const [, subscribe] = useMutation(SubscribeToTopicMutation);
  const [, unsubscribe] = useMutation(UnsubscribeFromTopicMutation);
  return {
    topics: result.data?.myTopics ?? [],
    isLoading: !result.data && !result.error,
    error: result.error,
    follow: (topic: string): MutationOutcome => subscribe({ topic }).then(({ error }) => (error ? { error } : {})),
    leave: (topic: string): MutationOutcome => unsubscribe({ topic }).then(({ error }) => (error ? { error } : {})),
  };
}
