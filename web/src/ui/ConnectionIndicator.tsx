import { useSyncExternalStore } from 'react';
import { useNotificationStream } from '../notifications/hooks.ts';
import { useNow } from './time.ts';

/** Whether the browser says it has a network, as it changes. */
function useOnline(): boolean {
  return useSyncExternalStore(
    (changed) => {
      window.addEventListener('online', changed);
      window.addEventListener('offline', changed);
      return () => {
        window.removeEventListener('online', changed);
        window.removeEventListener('offline', changed);
      };
    },
    () => navigator.onLine,
  );
}

/**
 * Connected / reconnecting in N s / Offline, with a button to try now. Without a network it says
 * "Offline" whatever the stream is doing (what is shown is what was stored; changes wait to be
 * sent). Its width holds while it counts down.
 */
export function ConnectionIndicator() {
  const { status, retryAt, reconnect } = useNotificationStream();
  const now = useNow(1_000);
  const online = useOnline();
  const shown = !online && status !== 'connected' ? 'offline' : status;

  let label: string;
  if (shown === 'offline') label = 'Offline';
  else if (status === 'connected') label = 'Connected';
  else if (status === 'connecting') label = 'Connecting…';
  else if (status === 'error' && retryAt !== null)
    label = `Reconnecting in ${Math.max(1, Math.ceil((retryAt - now) / 1000))} s`;
  else label = 'Disconnected';

  return (
    <div className="connection" data-status={shown} title="Live updates">
      <span className="dot" aria-hidden="true" />
      <span className="connection-label" role="status">
        {label}
      </span>
      {shown !== 'connected' && shown !== 'connecting' && shown !== 'offline' && (
        <button type="button" className="link small nowrap" onClick={reconnect}>
          Reconnect now
        </button>
      )}
    </div>
  );
}
