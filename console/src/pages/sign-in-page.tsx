import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/api';

/** The key form. The key goes to this tab's sessionStorage, never into the address bar. */
export function SignInPage({
  onSignIn,
  notice,
}: {
  onSignIn(key: string): Promise<void>;
  notice: string | null;
}) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    document.title = 'Sign in · rdev console';
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSignIn(key.trim());
    } catch (caught) {
      setError(
        caught instanceof ApiError && caught.code === 'UNAUTHENTICATED'
          ? 'rdev does not accept this key: it may be mistyped, revoked or expired.'
          : caught instanceof Error
            ? caught.message
            : String(caught),
      );
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <form class="card sign-in-card" onSubmit={submit}>
        <h1>rdev console</h1>
        <p>Sign in with an API key. It is kept in this browser tab only and forgotten when the tab closes.</p>
        {notice && (
          <p class="note" role="status">
            {notice}
          </p>
        )}
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          placeholder="rdev_…"
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-describedby={error ? 'sign-in-error' : 'api-key-help'}
          aria-invalid={error ? true : undefined}
        />
        <p id="api-key-help" class="hint">
          <code>npm start</code> prints an admin key on first start; <code>rdev keys create</code> makes more.
        </p>
        {error && (
          <p id="sign-in-error" class="note note-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="button button-primary" disabled={busy || key.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
