import { useEffect, useRef, useState } from 'react';
import { AuthScreen } from './auth/AuthScreen.tsx';
import { authClient } from './auth/client.ts';
import { NotificationsProvider } from './notifications/NotificationsProvider.tsx';
import { forgetPushSubscription } from './notifications/push.ts';
import { Home } from './ui/Home.tsx';
import { forgetOfflineData } from './urql/offline.ts';

/** The user last signed in here, so the app opens offline on what it has stored; forgotten at sign-out. */
const lastUserKey = 'tidings:last-user';
type KnownUser = { id: string; email: string; name: string };

function lastUser(): KnownUser | null {
  try {
    const stored = JSON.parse(localStorage.getItem(lastUserKey) ?? 'null') as KnownUser | null;
    return stored && typeof stored.id === 'string' ? stored : null;
  } catch {
    return null;
  }
}

/** The session could not be asked for (no network), as opposed to an answer that there is none. */
function unreachable(error: unknown): boolean {
  return error !== null && error !== undefined && !(error as { status?: number }).status;
}

function forgetUser() {
  localStorage.removeItem(lastUserKey);
  void forgetOfflineData();
}

/** Sign-in until there is a session; then the notification center for that user. */
export function App() {
  const session = authClient.useSession();
  const [notice, setNotice] = useState<string | null>(null);
  // Set when the user signed out here or in another tab of this browser: the stream then ends
  // with SESSION_REVOKED, which must not read as if someone else had signed them out.
  const signedOutByUser = useRef(false);
  const [channel] = useState(() =>
    typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('tidings:sign-out'),
  );
  useEffect(() => {
    if (!channel) return;
    channel.onmessage = () => {
      signedOutByUser.current = true;
      forgetUser();
    };
    return () => channel.close();
  }, [channel]);
  const signedIn = session.data?.user;
  const userId = signedIn?.id;
  useEffect(() => {
    if (userId) signedOutByUser.current = false;
  }, [userId]);
  useEffect(() => {
    if (!signedIn) return;
    const { id, email, name } = signedIn;
    localStorage.setItem(lastUserKey, JSON.stringify({ id, email, name }));
  }, [signedIn]);
  // While the session is being asked for, or cannot be (offline), the user last signed in here
  // sees what was stored; a session that has ended still ends the stream, which signs out.
  const user = signedIn ?? (session.isPending || unreachable(session.error) ? lastUser() : null);

  if (session.isPending && !user) {
    return (
      <main className="splash" aria-busy="true">
        Loading…
      </main>
    );
  }
  if (!user) return <AuthScreen notice={notice} />;

  const signOut = async (reason?: string) => {
    if (reason === undefined) {
      signedOutByUser.current = true;
      channel?.postMessage('signed-out');
    }
    forgetUser();
    await forgetPushSubscription();
    setNotice(signedOutByUser.current ? null : (reason ?? null));
    await authClient.signOut();
    session.refetch();
  };
  return (
    <NotificationsProvider key={user.id} userId={user.id}>
      <Home user={user} onSignOut={signOut} />
    </NotificationsProvider>
  );
}
