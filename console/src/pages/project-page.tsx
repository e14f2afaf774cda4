import { useEffect } from 'preact/hooks';
import { CommandTable } from '../components/command-table';
import { ErrorNote } from '../components/error-note';
import { StatusBadge } from '../components/status-badge';
import { TimeText } from '../components/time-text';
import { ProjectFiles } from '../files/project-files';
import { href, Link } from '../router';
import { runnableTypes, useSession } from '../session-context';
import { useLoad } from '../use-load';
import { useTitle } from '../use-title';

/** One project: its settings, its latest commands, and (with the files API) its workspace. */
export function ProjectPage({ name }: { name: string }) {
  useTitle(name);
  const session = useSession();
  const { api } = session;
  const project = useLoad(() => api.project(name), [api, name]);
  const commands = useLoad(
    async () =>
      session.can('COMMANDS_READ') ? (await api.commands({ projectName: name }, null, 10)).items : null,
    [api, name],
  );
  useEffect(
    () =>
      api.projectEvents((e) => {
        if (e.project.name === name) project.set(() => (e.type === 'REMOVED' ? null : e.project));
      }),
    [api, name],
  );
  useEffect(
    () =>
      session.can('COMMANDS_READ')
        ? api.commandUpdates(null, (c) => c.projectName === name && commands.reload())
        : undefined,
    [api, name],
  );

  const p = project.data;
  const runnable = p ? runnableTypes(session).filter((t) => p.allowedCommandTypes.includes(t)) : [];
  return (
    <section class="page" aria-labelledby="project-title">
      <p class="crumbs">
        <Link to={href('/')}>Projects</Link>
      </p>
      <div class="page-head">
        <h1 id="project-title">{name}</h1>
        {p && <StatusBadge status={p.status} />}
      </div>
      <ErrorNote error={project.error} />
      {p === null && <p>No project of this name is visible to this key.</p>}
      {p && (
        <>
          {p.description && <p>{p.description}</p>}
          <dl class="facts facts-grid">
            <div>
              <dt>Runtime</dt>
              <dd>
                {p.podName ? `pod ${p.namespace ? `${p.namespace}/` : ''}${p.podName}` : 'local folder'}
              </dd>
            </div>
            <div>
              <dt>Workspace</dt>
              <dd>
                <code class="wrap">{p.workspacePath}</code>
              </dd>
            </div>
            <div>
              <dt>Running</dt>
              <dd>{p.runningCommands}</dd>
            </div>
            <div>
              <dt>Queued</dt>
              <dd>{p.queuedCommands}</dd>
            </div>
            <div>
              <dt>At most at once</dt>
              <dd>{p.maxConcurrentCommands}</dd>
            </div>
            <div>
              <dt>Allows</dt>
              <dd>{p.allowedCommandTypes.map((t) => t.toLowerCase()).join(', ') || 'nothing'}</dd>
            </div>
            <div>
              <dt>Last seen</dt>
              <dd>
                <TimeText iso={p.lastSeenAt} />
              </dd>
            </div>
          </dl>
          {p.warnings.length > 0 && (
            <div class="note note-warn">
              <p>Warnings for the operator:</p>
              <ul>
                {p.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            </div>
          )}
          {runnable.length > 0 && (
            <p>
              <Link class="button button-primary" to={href('/run', { project: p.name })}>
                Run a command
              </Link>
            </p>
          )}
          {commands.data && (
            <section aria-labelledby="project-commands">
              <h2 id="project-commands">Latest commands</h2>
              <CommandTable commands={commands.data} showProject={false} />
              <p>
                <Link to={href('/commands', { project: p.name })}>All commands of {p.name}</Link>
              </p>
            </section>
          )}
          <ProjectFiles project={p} />
        </>
      )}
    </section>
  );
}
