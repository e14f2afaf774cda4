import {
  COMMAND_STATUSES,
  type Command,
  type CommandFilter,
  type CommandStatus,
  type CommandType,
  type KeyRef,
  type Page,
} from '../api/types';
import { CommandTable } from '../components/command-table';
import { ErrorNote } from '../components/error-note';
import { LoadMore } from '../components/load-more';
import { href, navigate } from '../router';
import { useSession } from '../session-context';
import { useLoad } from '../use-load';
import { usePaged } from '../use-paged';
import { useTitle } from '../use-title';

const PAGE = 25;
/** Pages read per click while filtering by key, which the API cannot do itself. */
const KEY_FILTER_PAGES = 8;

interface Filters {
  project: string;
  status: string;
  type: string;
  key: string;
}

/**
 * Commands, newest first, filtered by project, status and type on the server. The API has no
 * filter by key: that one is applied here, to the pages read, which are read on until a page's
 * worth matches.
 */
export function HistoryPage({ query }: { query: URLSearchParams }) {
  useTitle('History');
  const session = useSession();
  const { api } = session;
  const filters: Filters = {
    project: query.get('project') ?? '',
    status: query.get('status') ?? '',
    type: query.get('type') ?? '',
    key: query.get('key') ?? '',
  };
  const projects = useLoad(
    async () => (session.can('PROJECTS_READ') ? (await api.projects()).projects.map((p) => p.name) : []),
    [api],
  );
  const keys = useLoad<KeyRef[]>(
    async () =>
      session.can('KEYS_MANAGE') ? (await api.apiKeys(true, null)).items : [session.viewer.apiKey],
    [api],
  );

  const serverFilter: CommandFilter = {
    ...(filters.project ? { projectName: filters.project } : {}),
    ...(filters.status ? { statuses: [filters.status as CommandStatus] } : {}),
    ...(filters.type ? { types: [filters.type as CommandType] } : {}),
  };
  const filterKey = JSON.stringify(filters);

  // The key filter is applied here: pages are read on until a page's worth matches.
  const commands = usePaged(
    async (after): Promise<Page<Command>> => {
      let next = after;
      let found: Command[] = [];
      let hasNextPage = false;
      for (let pages = 0; pages < (filters.key ? KEY_FILTER_PAGES : 1); pages++) {
        const page = await api.commands(serverFilter, next, PAGE);
        found = [...found, ...page.items.filter((c) => !filters.key || c.requestedBy?.id === filters.key)];
        next = page.pageInfo.endCursor;
        hasNextPage = page.pageInfo.hasNextPage;
        if (!hasNextPage || found.length >= PAGE) break;
      }
      return { items: found, pageInfo: { hasNextPage, endCursor: next } };
    },
    [api, filterKey],
  );

  const change = (name: keyof Filters, value: string) =>
    navigate(href('/commands', { ...filters, [name]: value }), true);

  return (
    <section class="page" aria-labelledby="history-title">
      <h1 id="history-title">History</h1>
      <form class="filters" aria-label="Filter commands" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="filter-project">Project</label>
          {projects.data && projects.data.length > 0 ? (
            <select
              id="filter-project"
              value={filters.project}
              onChange={(e) => change('project', e.currentTarget.value)}
            >
              <option value="">All projects</option>
              {projects.data.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          ) : (
            <input
              id="filter-project"
              value={filters.project}
              placeholder="All projects"
              onChange={(e) => change('project', e.currentTarget.value.trim())}
            />
          )}
        </div>
        <div class="field">
          <label for="filter-status">Status</label>
          <select
            id="filter-status"
            value={filters.status}
            onChange={(e) => change('status', e.currentTarget.value)}
          >
            <option value="">Any status</option>
            {COMMAND_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.toLowerCase().replace('_', ' ')}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-type">Type</label>
          <select
            id="filter-type"
            value={filters.type}
            onChange={(e) => change('type', e.currentTarget.value)}
          >
            <option value="">Any type</option>
            <option value="SHELL">shell</option>
            <option value="GIT">git</option>
            <option value="CLAUDE">claude</option>
          </select>
        </div>
        <div class="field">
          <label for="filter-key">Key</label>
          <select id="filter-key" value={filters.key} onChange={(e) => change('key', e.currentTarget.value)}>
            <option value="">Any key</option>
            {(keys.data ?? []).map((k) => (
              <option key={k.id} value={k.id}>
                {k.name} ({k.prefix})
              </option>
            ))}
          </select>
        </div>
      </form>
      <ErrorNote error={commands.error} />
      {commands.loading && commands.rows.length === 0 ? (
        <p aria-busy="true">Loading commands…</p>
      ) : (
        <CommandTable commands={commands.rows} />
      )}
      <LoadMore hasMore={commands.hasMore} loading={commands.loading} onMore={commands.more} />
    </section>
  );
}
