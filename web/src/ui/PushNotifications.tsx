import { usePushSubscription } from '../notifications/push.ts';

/** The switch for web push: notifications reach this browser while no tab of Tidings is open. */
export function PushNotifications() {
  const push = usePushSubscription();
  if (!push.supported) {
    return <p className="muted small">Push notifications need a browser with service workers and web push.</p>;
  }
  return (
    <div>
      <label className="switch">
        <input
          type="checkbox"
          role="switch"
          className="toggle"
          aria-checked={push.enabled}
          checked={push.enabled}
          disabled={push.busy}
          onChange={(event) => void push.set(event.target.checked)}
        />
        Push notifications when no tab is open
      </label>
      {push.problem && (
        <p className="error small" role="alert">
          {push.problem}
        </p>
      )}
    </div>
  );
}
