import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ConnectionState } from './api/api';
import type { Scope } from './api/types';
import { href, Link, useLocation } from './router';
import { runnableTypes, scopeText, useSession } from './session-context';

interface NavItem {
  path: string;
  label: string;
  scope?: Scope;
  show?: boolean;
}

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  idle: '',
  connected: 'Live',
  connecting: 'Connecting…',
  offline: 'Offline: reconnecting when the network is back',
};

/** Header, navigation limited to what the key may do, and the page. */
export function Layout({ children }: { children: ComponentChildren }) {
  const session = useSession();
  const { path } = useLocation();
  const [connection, setConnection] = useState<ConnectionState>('idle');
  useEffect(() => session.api.onConnection(setConnection), [session.api]);

  const items: NavItem[] = [
    { path: '/', label: 'Projects', scope: 'PROJECTS_READ' },
    { path: '/run', label: 'Run', show: runnableTypes(session).length > 0 },
    { path: '/commands', label: 'History', scope: 'COMMANDS_READ' },
    { path: '/keys', label: 'API keys', scope: 'KEYS_MANAGE' },
    { path: '/webhooks', label: 'Webhooks', scope: 'WEBHOOKS_MANAGE' },
    { path: '/audit', label: 'Audit log', scope: 'AUDIT_READ' },
  ];
  const visible = items.filter((i) => i.show ?? (i.scope ? session.can(i.scope) : true));
  const active = (p: string) =>
    p === '/' ? path === '/' || path.startsWith('/projects') : path.startsWith(p);
  const { viewer, server } = session;

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="top-row">
          <Link to={href('/')} class="brand">
            rdev <span class="brand-sub">console</span>
          </Link>
          <span class={`connection connection-${connection}`} role="status">
            {connection !== 'idle' && <span class="dot" aria-hidden="true" />}
            {CONNECTION_TEXT[connection]}
          </span>
          <details class="key-menu">
            <summary>
              <span class="visually-hidden">Signed in with key </span>
              {viewer.apiKey.name}
            </summary>
            <div class="key-menu-body">
              <p>
                Key <strong>{viewer.apiKey.name}</strong> <code>{viewer.apiKey.prefix}</code>
              </p>
              <p>Scopes:</p>
              <ul class="chips" aria-label="Scopes of this key">
                {viewer.scopes.map((s) => (
                  <li key={s} class="chip">
                    {scopeText(s)}
                  </li>
                ))}
              </ul>
              <p>Projects: {viewer.projectNames ? viewer.projectNames.join(', ') || 'none' : 'all'}</p>
              <p class="hint">
                rdev {server.version} · {server.runtime.toLowerCase()} runtime ·{' '}
                {server.database.toLowerCase()}
              </p>
              <button type="button" class="button" onClick={() => session.signOut('Signed out.')}>
                Sign out
              </button>
            </div>
          </details>
        </div>
        <nav aria-label="Console">
          <ul class="nav-list">
            {visible.map((i) => (
              <li key={i.path}>
                <Link to={href(i.path)} aria-current={active(i.path) ? 'page' : undefined}>
                  {i.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
