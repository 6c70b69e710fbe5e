import { useCallback, useRef, useState, useSyncExternalStore } from 'react';
import { useStreamEvents } from '../notifications/NotificationsProvider.tsx';
import { useNotificationPreferences } from '../notifications/preferences.ts';
import type { StreamEvent } from '../urql/cache.ts';
import { hidden } from './hidden.ts';
import { Toggle } from './Toggle.tsx';

const storageKey = 'tidings:desktop-notifications';
const supported = typeof window !== 'undefined' && 'Notification' in window;

/** This tab's opt-in (kept in localStorage, so it outlives a reload), shared by the switch and the alerts. */
const optIn = (() => {
  const listeners = new Set<() => void>();
  let on = supported && localStorage.getItem(storageKey) === 'on' && Notification.permission === 'granted';
  return {
    get: () => on,
    set(value: boolean) {
      on = value;
      localStorage.setItem(storageKey, value ? 'on' : 'off');
      for (const listener of listeners) listener();
    },
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
})();

/**
 * Shows each new notification as a system notification while this tab is hidden, when the tab
 * opted in and the kind's `desktop` preference is on (tagged with its id, so several hidden tabs
 * show it once). Mounted with the signed-in page, whatever view it shows.
 */
export function DesktopAlerts() {
  const enabled = useSyncExternalStore(optIn.subscribe, optIn.get);
  const { preferenceOf } = useNotificationPreferences();
  const preferences = useRef(preferenceOf);
  preferences.current = preferenceOf;

  useStreamEvents(
    useCallback(
      (event: StreamEvent) => {
        if (!enabled || event.__typename !== 'NotificationCreated' || !document.hidden) return;
        const { notification } = event;
        if (hidden(notification) || !preferences.current(notification.kind).desktop) return;
        const shown = new Notification(notification.title, {
          body: notification.body ?? undefined,
          tag: notification.id,
        });
        shown.onclick = () => {
          window.focus();
          shown.close();
        };
      },
      [enabled],
    ),
  );
  return null;
}

/** The switch that opts this tab in to desktop notifications (asking the browser's permission). */
export function DesktopNotifications() {
  const enabled = useSyncExternalStore(optIn.subscribe, optIn.get);
  const [problem, setProblem] = useState<string | null>(null);

  if (!supported) return <p className="muted small">This browser has no desktop notifications.</p>;

  async function toggle(on: boolean) {
    setProblem(null);
    if (on && Notification.permission !== 'granted') {
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') {
        setProblem('The browser did not allow notifications; change it in the site settings.');
        return;
      }
    }
    optIn.set(on);
  }

  return (
    <div>
      <Toggle checked={enabled} onSwitch={(on) => void toggle(on)}>
        Desktop notifications while this tab is in the background
      </Toggle>
      {problem && (
        <p className="error small" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
