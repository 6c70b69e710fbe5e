import { useCallback, useState } from 'react';
import { useStreamEvents } from '../notifications/NotificationsProvider.tsx';
import type { StreamEvent } from '../urql/cache.ts';
import { hidden } from './hidden.ts';

const storageKey = 'tidings:desktop-notifications';
const supported = typeof window !== 'undefined' && 'Notification' in window;

/**
 * Opt-in desktop notifications: while this tab is hidden, each new notification also shows as a
 * system notification (tagged with its id, so several hidden tabs show it once).
 */
export function DesktopNotifications() {
  const [enabled, setEnabled] = useState(
    () => supported && localStorage.getItem(storageKey) === 'on' && Notification.permission === 'granted',
  );
  const [problem, setProblem] = useState<string | null>(null);

  useStreamEvents(
    useCallback(
      (event: StreamEvent) => {
        if (!enabled || event.__typename !== 'NotificationCreated' || !document.hidden) return;
        if (hidden(event.notification)) return;
        const { notification } = event;
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
    localStorage.setItem(storageKey, on ? 'on' : 'off');
    setEnabled(on);
  }

  return (
    <div>
      <label className="switch">
        <input type="checkbox" checked={enabled} onChange={(event) => void toggle(event.target.checked)} />
        Desktop notifications while this tab is in the background
      </label>
      {problem && (
        <p className="error small" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
