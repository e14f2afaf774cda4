import { useState } from 'preact/hooks';
import type { Result, ResultError } from '../api/types';
import { ErrorNote } from '../components/error-note';
import { LoadMore } from '../components/load-more';
import { SecretOnce } from '../components/secret-once';
import { TimeText } from '../components/time-text';
import { href, Link, navigate } from '../router';
import { useSession } from '../session-context';
import { useLoad } from '../use-load';
import { usePaged } from '../use-paged';
import { useTitle } from '../use-title';
import { eventText } from './webhook-form';

const DELIVERY_TONE = { PENDING: 'badge-wait', SUCCEEDED: 'badge-good', FAILED: 'badge-bad' } as const;

/** One webhook: enable or disable, ping, rotate its secret, delete; its deliveries with redelivery. */
export function WebhookPage({ id }: { id: string }) {
  const { api } = useSession();
  const hook = useLoad(() => api.webhook(id), [api, id]);
  const deliveries = usePaged((after) => api.deliveries(id, after), [api, id]);
  const [error, setError] = useState<ResultError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  useTitle(hook.data ? `Webhook ${hook.data.url}` : 'Webhook');

  const act = async <T,>(run: () => Promise<Result<T>>, done: (value: T) => void) => {
    setError(null);
    setNotice(null);
    try {
      const result = await run();
      if (result.ok) done(result.value);
      else setError(result.error);
    } catch (e) {
      setError({ code: (e as { code?: string }).code ?? 'ERROR', message: (e as Error).message });
    }
  };
  const refresh = () => {
    hook.reload();
    deliveries.reload();
  };

  const w = hook.data;
  if (hook.data === null) {
    return (
      <section class="page">
        <h1>Webhook not found</h1>
        <p>
          <Link to={href('/webhooks')}>Back to the webhooks</Link>
        </p>
      </section>
    );
  }
  return (
    <section class="page" aria-labelledby="webhook-title">
      <p class="crumbs">
        <Link to={href('/webhooks')}>Webhooks</Link>
      </p>
      <h1 id="webhook-title" class="wrap">
        {w?.url ?? 'Webhook'}
      </h1>
      <ErrorNote error={hook.error ?? deliveries.error ?? error} />
      {notice && (
        <p class="note" role="status">
          {notice}
        </p>
      )}
      {secret && <SecretOnce title="New signing secret" secret={secret} onDone={() => setSecret(null)} />}
      {w && (
        <>
          <p>
            {w.enabled ? 'Enabled' : 'Disabled'} · events {w.events.map(eventText).join(', ')} ·{' '}
            {w.projectNames ? `projects ${w.projectNames.join(', ')}` : 'every project'}
          </p>
          <div class="actions">
            <button
              type="button"
              class="button"
              onClick={() =>
                act(
                  () => api.pingWebhook(id),
                  () => {
                    setNotice('Ping queued.');
                    refresh();
                  },
                )
              }
            >
              Send a ping
            </button>
            <button
              type="button"
              class="button"
              onClick={() =>
                act(
                  () => api.setWebhookEnabled(id, !w.enabled),
                  () => refresh(),
                )
              }
            >
              {w.enabled ? 'Disable' : 'Enable'}
            </button>
            <button
              type="button"
              class="button"
              onClick={() =>
                act(
                  () => api.rotateWebhookSecret(id),
                  (v) => {
                    setSecret(v.secret);
                    refresh();
                  },
                )
              }
            >
              Rotate secret
            </button>
            {confirmDelete ? (
              <>
                <button
                  type="button"
                  class="button button-danger"
                  onClick={() =>
                    act(
                      () => api.deleteWebhook(id),
                      () => navigate(href('/webhooks')),
                    )
                  }
                >
                  Delete this webhook now
                </button>
                <button type="button" class="button" onClick={() => setConfirmDelete(false)}>
                  Keep it
                </button>
              </>
            ) : (
              <button type="button" class="button button-danger-quiet" onClick={() => setConfirmDelete(true)}>
                Delete
              </button>
            )}
          </div>
        </>
      )}
      <h2>Deliveries</h2>
      {!deliveries.loading && deliveries.rows.length === 0 && <p>Nothing delivered yet.</p>}
      <ul class="delivery-list" aria-label="Deliveries">
        {deliveries.rows.map((d) => (
          <li key={d.id} class="card delivery">
            <div class="project-card-head">
              <h3>
                <code>{eventText(d.eventType)}</code>
                {d.projectName && <span class="hint"> · {d.projectName}</span>}
              </h3>
              <span class={`badge ${DELIVERY_TONE[d.status]}`}>{d.status.toLowerCase()}</span>
            </div>
            <p class="hint">
              <TimeText iso={d.createdAt} /> · {d.attemptCount}{' '}
              {d.attemptCount === 1 ? 'attempt' : 'attempts'}
              {d.lastStatusCode != null && ` · last answer ${d.lastStatusCode}`}
              {d.nextAttemptAt && (
                <>
                  {' '}
                  · next <TimeText iso={d.nextAttemptAt} />
                </>
              )}
            </p>
            {d.lastError && <p class="note note-error">{d.lastError}</p>}
            {d.attempts.length > 0 && (
              <details>
                <summary>Attempts</summary>
                <ul class="attempts">
                  {d.attempts.map((a, i) => (
                    <li key={i}>
                      <TimeText iso={a.at} /> · {a.succeeded ? 'succeeded' : 'failed'}
                      {a.statusCode != null && ` · ${a.statusCode}`} · {a.durationMs} ms
                      {a.manual && ' · redelivered'}
                      {a.error && ` · ${a.error}`}
                    </li>
                  ))}
                </ul>
              </details>
            )}
            <button
              type="button"
              class="button"
              onClick={() =>
                act(
                  () => api.redeliver(d.id),
                  () => {
                    setNotice('Redelivery queued.');
                    refresh();
                  },
                )
              }
            >
              Redeliver<span class="visually-hidden"> {eventText(d.eventType)}</span>
            </button>
          </li>
        ))}
      </ul>
      <LoadMore hasMore={deliveries.hasMore} loading={deliveries.loading} onMore={deliveries.more} />
    </section>
  );
}
