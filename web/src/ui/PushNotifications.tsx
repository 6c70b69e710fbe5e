import { usePushSubscription } from '../notifications/push.ts';
import { Toggle } from './Toggle.tsx';

/** The switch for web push: notifications reach this browser while no tab of Tidings is open. */
export function PushNotifications() {
  const push = usePushSubscription();
  if (!push.supported) {
    return <p className="muted small">Push notifications need a browser with service workers and web push.</p>;
  }
  return (
    <div>
      <Toggle checked={push.enabled} disabled={push.busy} onSwitch={(on) => void push.set(on)}>
        Push notifications when no tab is open
      </Toggle>
      {push.problem && (
        <p className="error small" role="alert">
          {push.problem}
        </p>
      )}
    </div>
  );
}
