import { useEffect, useRef } from 'preact/hooks';
import type { Project, ProjectList } from '../api/types';
import { ErrorNote } from '../components/error-note';
import { StatusBadge } from '../components/status-badge';
import { href, Link } from '../router';
import { runnableTypes, useSession } from '../session-context';
import { useLoad } from '../use-load';
import { useReconnected } from '../use-reconnected';
import { useTitle } from '../use-title';

/**
 * Every project the key may see, kept current: `projectUpdated` for projects that appear, change
 * or go, and `commandUpdated` for the running and queued counts (re-read, debounced).
 */
export function ProjectsPage() {
  useTitle('Projects');
  const session = useSession();
  const { api } = session;
  const list = useLoad(() => api.projects(), [api]);
  const recount = useRef<ReturnType<typeof setTimeout>>(undefined);
  useReconnected(list.reload);

  useEffect(() => {
    const stopProjects = api.projectEvents((event) =>
      list.set((previous) => applyEvent(previous, event.type, event.project)),
    );
    const stopCommands = session.can('COMMANDS_READ')
      ? api.commandUpdates(null, () => {
          clearTimeout(recount.current);
          recount.current = setTimeout(list.reload, 300);
        })
      : () => {};
    return () => {
      stopProjects();
      stopCommands();
      clearTimeout(recount.current);
    };
  }, [api]);

  const data = list.data;
  const canRun = runnableTypes(session);
  return (
    <section class="page" aria-labelledby="projects-title">
      <div class="page-head">
        <h1 id="projects-title">Projects</h1>
        {data && (
          <p class="hint">
            {data.projects.length} {data.projects.length === 1 ? 'project' : 'projects'} ·{' '}
            {data.runtime.toLowerCase()} runtime
          </p>
        )}
      </div>
      <ErrorNote error={list.error} />
      {data?.stale && (
        <p class="note note-warn" role="status">
          The runtime cannot be read right now: this is the last list rdev saw.
        </p>
      )}
      {!data && list.loading && <p aria-busy="true">Loading projects…</p>}
      {data && data.projects.length === 0 && <p>No projects are visible to this key.</p>}
      {data && (
        <ul class="project-grid" aria-label="Projects">
          {data.projects.map((p) => (
            <ProjectCard
              key={p.id}
              project={p}
              runnable={canRun.some((t) => p.allowedCommandTypes.includes(t))}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function ProjectCard({ project: p, runnable }: { project: Project; runnable: boolean }) {
  return (
    <li class="card project-card">
      <div class="project-card-head">
        <h2>
          <Link to={href(`/projects/${encodeURIComponent(p.name)}`)}>{p.name}</Link>
        </h2>
        <StatusBadge status={p.status} />
      </div>
      {p.description && <p>{p.description}</p>}
      <dl class="facts">
        <dt>Runtime</dt>
        <dd>{p.podName ? `pod ${p.namespace ? `${p.namespace}/` : ''}${p.podName}` : 'local folder'}</dd>
        <dt>Workspace</dt>
        <dd>
          <code class="wrap">{p.workspacePath}</code>
        </dd>
        <dt>Commands</dt>
        <dd>
          <span data-testid="running">{p.runningCommands} running</span> ·{' '}
          <span data-testid="queued">{p.queuedCommands} queued</span> · at most {p.maxConcurrentCommands} at
          once
        </dd>
        <dt>Allows</dt>
        <dd>{p.allowedCommandTypes.map((t) => t.toLowerCase()).join(', ') || 'nothing'}</dd>
      </dl>
      {p.warnings.length > 0 && (
        <div class="note note-warn">
          <p>{p.warnings.length === 1 ? 'Warning' : 'Warnings'} for the operator:</p>
          <ul>
            {p.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </div>
      )}
      {runnable && (
        <p>
          <Link class="button" to={href('/run', { project: p.name })}>
            Run a command in {p.name}
          </Link>
        </p>
      )}
    </li>
  );
}

function applyEvent(previous: ProjectList | undefined, type: string, project: Project): ProjectList {
  const base = previous ?? { projects: [], stale: false, runtime: 'LOCAL' as const };
  const others = base.projects.filter((p) => p.id !== project.id);
  const projects =
    type === 'REMOVED' ? others : [...others, project].sort((a, b) => a.name.localeCompare(b.name));
  return { ...base, projects };
}
