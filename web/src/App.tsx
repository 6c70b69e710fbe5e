import { useState } from 'react';
import { AuthScreen } from './auth/AuthScreen.tsx';
import { authClient } from './auth/client.ts';
import { NotificationsProvider } from './notifications/NotificationsProvider.tsx';
import { Home } from './ui/Home.tsx';

/** Sign-in until there is a session; then the notification center for that user. */
export function App() {
  const session = authClient.useSession();
  const [notice, setNotice] = useState<string | null>(null);

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
    setNotice(reason ?? null);
    await authClient.signOut();
    session.refetch();
  };
  return (
    <NotificationsProvider key={user.id} userId={user.id}>
      <Home user={user} onSignOut={signOut} />
    </NotificationsProvider>
  );
}
