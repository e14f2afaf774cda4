import type { Project } from '../api/types';
import { useSession } from '../session-context';
import { useLoad } from '../use-load';
import { useTitle } from '../use-title';
import { RunForm } from './run-form';

/** Start a command: the form offers only the types this key may run and the chosen project allows. */
export function RunPage({ query }: { query: URLSearchParams }) {
  useTitle('Run a command');
  const session = useSession();
  const projects = useLoad<Project[] | null>(
    async () => (session.can('PROJECTS_READ') ? (await session.api.projects()).projects : null),
    [session.api],
  );
  return (
    <section class="page" aria-labelledby="run-title">
      <h1 id="run-title">Run a command</h1>
      {projects.loading && projects.data === undefined ? (
        <p aria-busy="true">Loading projects…</p>
      ) : (
        <RunForm
          projects={projects.data ?? null}
          initialProject={query.get('project') ?? ''}
          initialType={query.get('type')}
        />
      )}
    </section>
  );
}
