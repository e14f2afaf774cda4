import type { ComponentChildren } from 'preact';
import { AuditPage } from './admin/audit-page';
import { KeysPage } from './admin/keys-page';
import { WebhookPage } from './admin/webhook-page';
import { WebhooksPage } from './admin/webhooks-page';
import type { Scope } from './api/types';
import { CommandPage } from './pages/command-page';
import { HistoryPage } from './pages/history-page';
import { NotFound } from './pages/not-found';
import { ProjectPage } from './pages/project-page';
import { ProjectsPage } from './pages/projects-page';
import { RunPage } from './pages/run-page';
import { useLocation } from './router';
import { runnableTypes, scopeText, useSession } from './session-context';

/** Which page a path shows; a page the key has no scope for says so instead of failing. */
export function Routes() {
  const { path, query } = useLocation();
  const session = useSession();
  const needs = (scope: Scope, page: ComponentChildren) =>
    session.can(scope) ? page : <Missing what={`the ${scopeText(scope)} scope`} />;

  const param = (pattern: RegExp) => {
    const m = path.match(pattern);
    return m ? decodeURIComponent(m[1]!) : null;
  };
  const project = param(/^\/projects\/([^/]+)$/);
  const command = param(/^\/commands\/([^/]+)$/);
  const webhook = param(/^\/webhooks\/([^/]+)$/);
  if (path === '/') {
    if (session.can('PROJECTS_READ')) return <ProjectsPage />;
    // A key that cannot list projects starts where it can do something.
    if (runnableTypes(session).length > 0) return <RunPage query={query} />;
    if (session.can('COMMANDS_READ')) return <HistoryPage query={query} />;
    return <Missing what="projects:read" />;
  }
  if (project) return needs('PROJECTS_READ', <ProjectPage name={project} />);
  if (path === '/run')
    return runnableTypes(session).length > 0 ? (
      <RunPage query={query} />
    ) : (
      <Missing what="a commands:run scope" />
    );
  if (path === '/commands') return needs('COMMANDS_READ', <HistoryPage query={query} />);
  if (command) return needs('COMMANDS_READ', <CommandPage id={command} />);
  if (path === '/keys') return needs('KEYS_MANAGE', <KeysPage />);
  if (path === '/webhooks') return needs('WEBHOOKS_MANAGE', <WebhooksPage />);
  if (webhook) return needs('WEBHOOKS_MANAGE', <WebhookPage id={webhook} />);
  if (path === '/audit') return needs('AUDIT_READ', <AuditPage query={query} />);
  return <NotFound />;
}

function Missing({ what }: { what: string }) {
  return (
    <section class="page">
      <h1>Not available with this key</h1>
      <p>This page needs {what}. Ask an administrator for a key that holds it.</p>
    </section>
  );
}
