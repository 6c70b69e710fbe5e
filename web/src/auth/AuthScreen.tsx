import { type FormEvent, useId, useState } from 'react';
import { BellIcon } from '../ui/BellIcon.tsx';
import { authClient } from './client.ts';

type Mode = 'sign-in' | 'sign-up';

/** Sign in or create an account (email and password, through Better Auth). */
export function AuthScreen({ notice }: { notice: string | null }) {
  const [mode, setMode] = useState<Mode>('sign-in');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get('email') ?? '').trim();
    const password = String(form.get('password') ?? '');
    setBusy(true);
    setError(null);
    const result =
      mode === 'sign-up'
        ? await authClient.signUp.email({ email, password, name: String(form.get('name') ?? '').trim() || email })
        : await authClient.signIn.email({ email, password });
    setBusy(false);
    if (result.error) setError(result.error.message ?? result.error.statusText ?? 'That did not work.');
  }

  return (
    <main className="auth">
      <form className="card auth-card" onSubmit={submit} aria-labelledby={`${id}-title`}>
        <h1 id={`${id}-title`}>
          <BellIcon size={26} /> Tidings
        </h1>
        <p className="muted">{mode === 'sign-in' ? 'Sign in to see your notifications.' : 'Create an account.'}</p>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        {mode === 'sign-up' && (
          <label>
            Name
            <input name="name" autoComplete="name" />
          </label>
        )}
        <label>
          Email
          <input name="email" type="email" required autoComplete="email" />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            required
            minLength={8}
            autoComplete={mode === 'sign-up' ? 'new-password' : 'current-password'}
          />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {mode === 'sign-in' ? 'Sign in' : 'Create account'}
        </button>
        <button
          type="button"
          className="link"
          onClick={() => {
            setMode(mode === 'sign-in' ? 'sign-up' : 'sign-in');
            setError(null);
          }}
        >
          {mode === 'sign-in' ? 'No account yet? Sign up' : 'Have an account? Sign in'}
        </button>
      </form>
    </main>
  );
}
