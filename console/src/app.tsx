import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api } from './api/api';
import type { ServerInfo, Viewer } from './api/types';
import { Layout } from './layout';
import { SignInPage } from './pages/sign-in-page';
import { Routes } from './routes';
import { forgetKey, storedKey, storeKey } from './session';
import { holds, type Session, SessionContext } from './session-context';

interface SignedIn {
  api: Api;
  viewer: Viewer;
  server: ServerInfo;
}

/** Signs in with the key kept in this tab (if any), then shows the console for what the key may do. */
export function App() {
  const [signedIn, setSignedIn] = useState<SignedIn | null>(null);
  const [checking, setChecking] = useState(() => storedKey() !== null);
  const [notice, setNotice] = useState<string | null>(null);

  const signIn = async (key: string): Promise<void> => {
    const api = new Api(key);
    try {
      const { viewer, server } = await api.viewer();
      storeKey(key);
      setSignedIn({ api, viewer, server });
      setNotice(null);
    } catch (error) {
      api.dispose();
      throw error;
    }
  };

  useEffect(() => {
    const key = storedKey();
    if (!key) return;
    signIn(key)
      .catch((error: Error) => {
        forgetKey();
        setNotice(`Sign in again: ${error.message}`);
      })
      .finally(() => setChecking(false));
  }, []);

  useEffect(
    () =>
      signedIn?.api.onRefused((error) => {
        forgetKey();
        signedIn.api.dispose();
        setSignedIn(null);
        setNotice(`Sign in again: ${error.message}`);
      }),
    [signedIn],
  );

  const session = useMemo<Session | null>(() => {
    if (!signedIn) return null;
    return {
      ...signedIn,
      can: (scope) => holds(signedIn.viewer.scopes, scope),
      signOut: (message) => {
        forgetKey();
        signedIn.api.dispose();
        setSignedIn(null);
        setNotice(message ?? null);
      },
    };
  }, [signedIn]);

  if (checking) return <p class="boot">Signing in…</p>;
  if (!session) return <SignInPage onSignIn={signIn} notice={notice} />;
  return (
    <SessionContext.Provider value={session}>
      <Layout>
        <Routes />
      </Layout>
    </SessionContext.Provider>
  );
}
