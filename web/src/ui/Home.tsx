import { useEffect, useId, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { MeQuery } from '../notifications/documents.ts';
import { useNotificationStream, useNotifications } from '../notifications/hooks.ts';
import { Announcer } from './Announcer.tsx';
import { BellIcon } from './BellIcon.tsx';
import { ConnectionIndicator } from './ConnectionIndicator.tsx';
import { DesktopNotifications } from './DesktopNotifications.tsx';
import { NotificationPanel } from './NotificationPanel.tsx';
import { SendForm } from './SendForm.tsx';

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

/** The signed-in page: header with bell and connection, the panel, the send form. */
export function Home({ user, onSignOut }: HomeProps) {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const bell = useRef<HTMLButtonElement>(null);
  const { unreadCount } = useNotifications();
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

  const close = () => {
    setOpen(false);
    bell.current?.focus();
  };

  return (
    <>
      <header className="topbar">
        <span className="brand">
          <BellIcon size={20} /> Tidings
        </span>
        <ConnectionIndicator />
        <div className="bell-wrap">
          <button
            ref={bell}
            type="button"
            className="bell"
            aria-expanded={open}
            aria-controls={panelId}
            aria-label={unreadCount > 0 ? `Notifications, ${unreadCount} unread` : 'Notifications'}
            onClick={() => setOpen(!open)}
          >
            <BellIcon />
            {unreadCount > 0 && (
              <span className="badge" data-testid="unread-badge">
                {unreadCount > 99 ? '99+' : unreadCount}
              </span>
            )}
          </button>
          {open && <NotificationPanel id={panelId} onClose={close} />}
        </div>
        <div className="account">
          <span className="muted small account-email">{user.email}</span>
          <button type="button" className="link" onClick={() => void onSignOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main className="home">
        <SendForm isAdmin={isAdmin} />
        <section className="card">
          <h2>Settings</h2>
          <DesktopNotifications />
          <p className="muted small">
            Every tab of this browser shares one live connection; open another tab and watch both update.
          </p>
        </section>
      </main>
      <Announcer />
    </>
  );
}
