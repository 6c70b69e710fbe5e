import { useNotificationStream } from '../notifications/hooks.ts';
import { useNow } from './time.ts';

/** Connected / reconnecting in N s / offline, with a button to try now. Its width holds while it counts down. */
export function ConnectionIndicator() {
  const { status, retryAt, reconnect } = useNotificationStream();
  const now = useNow(1_000);
  const offline = typeof navigator !== 'undefined' && navigator.onLine === false;

  let label: string;
  if (status === 'connected') label = 'Connected';
  else if (status === 'connecting') label = 'Connecting…';
  else if (offline) label = 'Offline';
  else if (status === 'error' && retryAt !== null)
    label = `Reconnecting in ${Math.max(1, Math.ceil((retryAt - now) / 1000))} s`;
  else label = 'Disconnected';

  return (
    <div className="connection" data-status={status} title="Live updates">
      <span className="dot" aria-hidden="true" />
      <span className="connection-label" role="status">
        {label}
      </span>
      {status !== 'connected' && status !== 'connecting' && (
        <button type="button" className="link small nowrap" onClick={reconnect}>
          Reconnect now
        </button>
      )}
    </div>
  );
}
