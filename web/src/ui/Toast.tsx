import { useCallback, useEffect, useState } from 'react';
import { useStreamEvents } from '../notifications/NotificationsProvider.tsx';
import type { StreamEvent } from '../urql/cache.ts';
import { hidden } from './hidden.ts';
import { KindIcon } from './KindIcon.tsx';

/** How long a toast stays, unless hovered or closed. */
const showMs = 6_000;

/**
 * A toast for each notification that arrives while the panel is closed: its title, and a button
 * that opens the panel. The newest replaces the one before.
 */
export function Toast({ panelOpen, onOpen }: { panelOpen: boolean; onOpen(): void }) {
  const [shown, setShown] = useState<{ id: string; title: string; kind: string } | null>(null);
  const [hovered, setHovered] = useState(false);

  useStreamEvents(
    useCallback(
      (event: StreamEvent) => {
        if (event.__typename !== 'NotificationCreated' || panelOpen || hidden(event.notification)) return;
        const { id, title, kind } = event.notification;
        setShown({ id, title, kind });
      },
      [panelOpen],
    ),
  );

  useEffect(() => {
    if (panelOpen) setShown(null);
  }, [panelOpen]);

  useEffect(() => {
    if (!shown || hovered) return;
    const timer = setTimeout(() => setShown(null), showMs);
    return () => clearTimeout(timer);
  }, [shown, hovered]);

  if (!shown) return null;
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: hovering only pauses the timer; the buttons inside do the work
    <div
      className="toast card"
      data-testid="toast"
      onMouseEnter={() => setHovered(true)}
      onMouseLeave={() => setHovered(false)}
    >
      <KindIcon kind={shown.kind} />
      <span className="toast-title">{shown.title}</span>
      <button
        type="button"
        className="link"
        onClick={() => {
          setShown(null);
          onOpen();
        }}
      >
        View
      </button>
      <button type="button" className="icon close" aria-label="Dismiss" onClick={() => setShown(null)}>
        ×
      </button>
    </div>
  );
}
