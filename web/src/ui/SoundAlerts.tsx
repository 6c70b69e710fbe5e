import { useCallback, useRef } from 'react';
import { useNotificationsContext, useStreamEvents } from '../notifications/NotificationsProvider.tsx';
import { useNotificationPreferences } from '../notifications/preferences.ts';
import type { StreamEvent } from '../urql/cache.ts';
import { hidden } from './hidden.ts';

/** The chime shipped with the client (web/public/chime.wav, made by web/chime.ts). */
export const chimeUrl = '/chime.wav';

/** At most one chime this often: a replay after a reconnect, or a burst, rings once. */
const quietMs = 1_500;

/**
 * Plays a short chime for each new notification whose kind has `sound` on. Only the tab that holds
 * the browser's stream rings (every tab applies each event), and only as far as the browser's
 * autoplay rules allow (after the user has interacted with the page).
 */
export function SoundAlerts() {
  const { stream } = useNotificationsContext();
  const { preferenceOf } = useNotificationPreferences();
  const preferences = useRef(preferenceOf);
  preferences.current = preferenceOf;
  const audio = useRef<HTMLAudioElement | null>(null);
  const lastPlayed = useRef(0);

  useStreamEvents(
    useCallback(
      (event: StreamEvent) => {
        if (event.__typename !== 'NotificationCreated' || hidden(event.notification)) return;
        if (!preferences.current(event.notification.kind).sound || !stream.leading) return;
        const now = Date.now();
        if (now - lastPlayed.current < quietMs) return;
        lastPlayed.current = now;
        audio.current ??= new Audio(chimeUrl);
        audio.current.currentTime = 0;
        audio.current.play().catch(() => {
          // Autoplay refused (no interaction with the page yet): a silent notification, not an error.
        });
      },
      [stream],
    ),
  );
  return null;
}
