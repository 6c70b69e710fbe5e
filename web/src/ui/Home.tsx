import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { MeQuery } from '../notifications/documents.ts';
import { useNotificationActions, useNotificationCounts, useNotificationStream } from '../notifications/hooks.ts';
import { Announcer } from './Announcer.tsx';
import { BellIcon } from './BellIcon.tsx';
import { ConnectionIndicator } from './ConnectionIndicator.tsx';
import { DesktopAlerts } from './DesktopNotifications.tsx';
import { NotificationPanel } from './NotificationPanel.tsx';
import { SendForm } from './SendForm.tsx';
import { Settings } from './Settings.tsx';
import { SoundAlerts } from './SoundAlerts.tsx';
import { Toast } from './Toast.tsx';

const endedBecause: Record<string, string> = {
  SESSION_EXPIRED: 'Your session expired. Sign in again.',
  SESSION_REVOKED: 'You were signed out. Sign in again.',
  API_KEY_REVOKED: 'Your key was revoked.',
  USER_BANNED: 'Your account was suspended by an administrator.',
  UNAUTHENTICATED: 'Your session ended. Sign in again.',
};

interface HomeProps {
  user: { id: string; email: string; name: string };
  onSignOut(reason?: string): Promise<void>;
}

/** The signed-in page: header with bell (its badge counts the unseen), connection and settings, the panel, the send form or the settings, toasts. */
export function Home({ user, onSignOut }: HomeProps) {
  const [open, setOpen] = useState(false);
  const [showSettings, setShowSettings] = useState(false);
  const panelId = useId();
  const bell = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLElement>(null);
  const { unseen } = useNotificationCounts();
  const { markAllAsSeen } = useNotificationActions();
  const { ended } = useNotificationStream();
  const [me] = useQuery({ query: MeQuery });
  const isAdmin = me.data?.me?.role === 'admin';

  // A session that ended goes to sign-in, not into a retry loop.
  const signingOut = useRef(false);
  useEffect(() => {
    if (!ended || signingOut.current) return;
    signingOut.current = true;
    void onSignOut(endedBecause[ended]);
  }, [ended, onSignOut]);

  const close = useCallback(() => {
    setOpen(false);
    bell.current?.focus();
  }, []);

  // Opening the bell is seeing what is in it: the badge clears, unread ones stay unread. Only the
  // opening: a panel left open in a background tab must not clear what arrives later.
  const unseenNow = useRef(unseen);
  unseenNow.current = unseen;
  useEffect(() => {
    if (open && unseenNow.current > 0) void markAllAsSeen();
  }, [open, markAllAsSeen]);

  // A click anywhere outside the panel (and its bell) closes it.
  useEffect(() => {
    if (!open) return;
    const onPointerDown = (event: PointerEvent) => {
      const target = event.target as Node | null;
      if (target && !panel.current?.contains(target) && !bell.current?.contains(target)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointerDown);
    return () => document.removeEventListener('pointerdown', onPointerDown);
  }, [open]);

  return (
    <>
      <header className="topbar">
        <span className="brand">
          <BellIcon size={20} /> Tidings
        </span>
        <ConnectionIndicator />
        <button
          type="button"
          className="settings-toggle"
          aria-pressed={showSettings}
          aria-label="Settings"
          title="Settings"
          onClick={() => setShowSettings(!showSettings)}
        >
          <GearIcon />
          <span className="settings-label">Settings</span>
        </button>
        <div className="bell-wrap">
          <button
            ref={bell}
            type="button"
            className="bell"
            aria-expanded={open}
            aria-controls={panelId}
            aria-label={unseen > 0 ? `Notifications, ${unseen} new` : 'Notifications'}
            onClick={() => setOpen(!open)}
          >
            <BellIcon />
            {unseen > 0 && (
              <span className="badge" data-testid="unseen-badge">
                {unseen > 99 ? '99+' : unseen}
              </span>
            )}
          </button>
          {open && <NotificationPanel ref={panel} id={panelId} onClose={close} />}
        </div>
        <div className="account">
          <span className="muted small account-email">{user.email}</span>
          <button type="button" className="link" onClick={() => void onSignOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main className={showSettings ? 'home settings-view' : 'home'}>
        {showSettings ? (
          <>
            <h1 className="view-title">Settings</h1>
            <Settings />
          </>
        ) : (
          <>
            <SendForm isAdmin={isAdmin} />
            <section className="card">
              <h2>Choose what reaches you</h2>
              <p className="muted small">
                Desktop notifications, sounds, push when no tab is open, which kinds show in-app, and the topics you
                follow.{' '}
                <button type="button" className="link" onClick={() => setShowSettings(true)}>
                  Open settings
                </button>
              </p>
            </section>
          </>
        )}
      </main>
      <Toast panelOpen={open} onOpen={() => setOpen(true)} />
      <Announcer />
      <DesktopAlerts />
      <SoundAlerts />
    </>
  );
}

function GearIcon() {
  return (
    <svg viewBox="0 0 24 24" width={20} height={20} aria-hidden="true" focusable="false">
      <path
        fill="currentColor"
        d="M19.4 13a7.5 7.5 0 0 0 0-2l2.1-1.6-2-3.5-2.5 1a7.6 7.6 0 0 0-1.7-1L15 3h-4l-.4 2.9a7.6 7.6 0 0 0-1.7 1l-2.5-1-2 3.5L6.6 11a7.5 7.5 0 0 0 0 2l-2.1 1.6 2 3.5 2.5-1a7.6 7.6 0 0 0 1.7 1L11 21h4l.4-2.9a7.6 7.6 0 0 0 1.7-1l2.5 1 2-3.5ZM13 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7Z"
        transform="translate(-1 0)"
      />
    </svg>
  );
}
