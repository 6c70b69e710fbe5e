import { useCallback, useState } from 'react';
import { useStreamEvents } from '../notifications/NotificationsProvider.tsx';
import type { StreamEvent } from '../urql/cache.ts';
import { hidden } from './hidden.ts';

/** Tells screen readers about new notifications as they arrive (an aria-live region). */
export function Announcer() {
  const [message, setMessage] = useState('');
  useStreamEvents(
    useCallback((event: StreamEvent) => {
      if (event.__typename === 'NotificationCreated' && !hidden(event.notification))
        setMessage(`New notification: ${event.notification.title}`);
    }, []),
  );
  return (
    <div className="visually-hidden" aria-live="polite" aria-atomic="true">
      {message}
    </div>
  );
}
