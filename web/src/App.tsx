import { useEffect, useRef, useState } from 'react';
import { AuthScreen } from './auth/AuthScreen.tsx';
import { authClient } from './auth/client.ts';
import { NotificationsProvider } from './notifications/NotificationsProvider.tsx';
import { Home } from './ui/Home.tsx';

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
    };
    return () => channel.close();
  }, [channel]);
  const userId = session.data?.user.id;
  useEffect(() => {
    if (userId) signedOutByUser.current = false;
  }, [userId]);

  if (session.isPending && !session.data) {
    return (
      <main className="splash" aria-busy="true">
        Loading…
      </main>
    );
  }
  if (!session.data) return <AuthScreen notice={notice} />;

  const { user } = session.data;
  const signOut = async (reason?: string) => {
    if (reason === undefined) {
      signedOutByUser.current = true;
      channel?.postMessage('signed-out');
    }
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
