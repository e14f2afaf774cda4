import { useState } from 'preact/hooks';
import type { AuditFilter } from '../api/types';
import { ErrorNote } from '../components/error-note';
import { LoadMore } from '../components/load-more';
import { TimeText } from '../components/time-text';
import { href, navigate } from '../router';
import { useSession } from '../session-context';
import { useLoad } from '../use-load';
import { usePaged } from '../use-paged';
import { useTitle } from '../use-title';

const OUTCOME_TONE = { SUCCESS: 'badge-good', FAILURE: 'badge-bad', DENIED: 'badge-wait' } as const;
const FIELDS = ['action', 'key', 'target', 'from', 'to'] as const;

/** The audit log, newest first, filtered by action, acting key, target type and time. */
export function AuditPage({ query }: { query: URLSearchParams }) {
  useTitle('Audit log');
  const session = useSession();
  const { api } = session;
  const current = Object.fromEntries(FIELDS.map((f) => [f, query.get(f) ?? ''])) as Record<
    (typeof FIELDS)[number],
    string
  >;
  const [draft, setDraft] = useState(current);
  const filter: AuditFilter = {
    ...(current.action ? { action: current.action } : {}),
    ...(current.key ? { apiKeyId: current.key } : {}),
    ...(current.target ? { targetType: current.target } : {}),
    ...(current.from ? { from: new Date(current.from).toISOString() } : {}),
    ...(current.to ? { to: new Date(current.to).toISOString() } : {}),
  };
  const events = usePaged((after) => api.auditEvents(filter, after), [api, JSON.stringify(filter)]);
  const keys = useLoad(
    async () => (session.can('KEYS_MANAGE') ? (await api.apiKeys(true, null)).items : []),
    [api],
  );

  const apply = (e: Event) => {
    e.preventDefault();
    navigate(href('/audit', draft), true);
  };
  const input = (name: (typeof FIELDS)[number]) => ({
    id: `audit-${name}`,
    value: draft[name],
    onInput: (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) =>
      setDraft({ ...draft, [name]: e.currentTarget.value }),
  });

  return (
    <section class="page" aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form class="filters" aria-label="Filter the audit log" onSubmit={apply}>
        <div class="field">
          <label for="audit-action">Action</label>
          <input {...input('action')} class="mono" placeholder="e.g. command.run" />
        </div>
        <div class="field">
          <label for="audit-key">Key</label>
          <select {...input('key')} onChange={input('key').onInput}>
            <option value="">Any key</option>
            {(keys.data ?? []).map((k) => (
              <option key={k.id} value={k.id}>
                {k.name} ({k.prefix})
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="audit-target">Target type</label>
          <input {...input('target')} class="mono" placeholder="e.g. api_key" />
        </div>
        <div class="field">
          <label for="audit-from">From</label>
          <input {...input('from')} type="datetime-local" />
        </div>
        <div class="field">
          <label for="audit-to">Until</label>
          <input {...input('to')} type="datetime-local" />
        </div>
        <div class="field field-submit">
          <button type="submit" class="button button-primary">
            Filter
          </button>
        </div>
      </form>
      <ErrorNote error={events.error} />
      {!events.loading && events.rows.length === 0 && <p>No audit events match.</p>}
      {events.rows.length > 0 && (
        <table class="table audit-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Outcome</th>
              <th scope="col">By</th>
              <th scope="col">Target</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {events.rows.map((e) => (
              <tr key={e.id}>
                <td data-label="When">
                  <TimeText iso={e.at} />
                </td>
                <td data-label="Action">
                  <code>{e.action}</code>
                </td>
                <td data-label="Outcome">
                  <span class={`badge ${OUTCOME_TONE[e.outcome]}`}>{e.outcome.toLowerCase()}</span>
                </td>
                <td data-label="By">
                  {e.actorKey ? e.actorKey.name : (e.actorComponent ?? '—')}
                  {e.clientIp && <span class="hint"> from {e.clientIp}</span>}
                </td>
                <td data-label="Target">
                  {e.targetType}
                  {e.targetId && <code class="wrap target-id"> {e.targetId}</code>}
                </td>
                <td data-label="Details">
                  <details>
                    <summary>Show</summary>
                    <pre class="fold-body">{JSON.stringify(e.details, null, 2)}</pre>
                  </details>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LoadMore hasMore={events.hasMore} loading={events.loading} onMore={events.more} />
    </section>
  );
}
