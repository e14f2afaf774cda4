import { useState } from 'preact/hooks';
import type { ResultError } from '../api/types';
import { ErrorNote } from '../components/error-note';
import { SecretOnce } from '../components/secret-once';
import { TimeText } from '../components/time-text';
import { href, Link } from '../router';
import { useSession } from '../session-context';
import { useLoad } from '../use-load';
import { useTitle } from '../use-title';
import { eventText, WebhookForm } from './webhook-form';

/** Webhooks: create one (its signing secret shown once); each links to its deliveries. */
export function WebhooksPage() {
  useTitle('Webhooks');
  const { api } = useSession();
  const hooks = useLoad(() => api.webhooks(), [api]);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);

  return (
    <section class="page" aria-labelledby="webhooks-title">
      <div class="page-head">
        <h1 id="webhooks-title">Webhooks</h1>
        {!creating && (
          <button type="button" class="button button-primary" onClick={() => setCreating(true)}>
            Create a webhook
          </button>
        )}
      </div>
      {secret && (
        <SecretOnce
          title="Signing secret of the new webhook"
          secret={secret}
          onDone={() => setSecret(null)}
        />
      )}
      {creating && (
        <WebhookForm
          onCancel={() => setCreating(false)}
          onSubmit={async (input): Promise<ResultError | null> => {
            const result = await api.createWebhook(input);
            if (!result.ok) return result.error;
            setCreating(false);
            setSecret(result.value.secret);
            hooks.reload();
            return null;
          }}
        />
      )}
      <ErrorNote error={hooks.error} />
      {hooks.data && hooks.data.items.length === 0 && <p>No webhooks yet.</p>}
      <ul class="key-list" aria-label="Webhooks">
        {hooks.data?.items.map((w) => (
          <li key={w.id} class="card">
            <div class="project-card-head">
              <h2 class="wrap">
                <Link to={href(`/webhooks/${encodeURIComponent(w.id)}`)}>{w.url}</Link>
              </h2>
              <span
                class={`badge ${w.enabled ? (w.failingSince ? 'badge-bad' : 'badge-good') : 'badge-quiet'}`}
              >
                {w.enabled ? (w.failingSince ? 'failing' : 'enabled') : 'disabled'}
              </span>
            </div>
            {w.description && <p>{w.description}</p>}
            <ul class="chips" aria-label="Events">
              {w.events.map((e) => (
                <li key={e} class="chip">
                  {eventText(e)}
                </li>
              ))}
            </ul>
            <dl class="facts">
              <dt>Projects</dt>
              <dd>{w.projectNames ? w.projectNames.join(', ') : 'every project'}</dd>
              {w.failingSince && (
                <>
                  <dt>Failing since</dt>
                  <dd>
                    <TimeText iso={w.failingSince} />
                  </dd>
                </>
              )}
              {w.disabledReason && (
                <>
                  <dt>Disabled because</dt>
                  <dd>{w.disabledReason}</dd>
                </>
              )}
            </dl>
          </li>
        ))}
      </ul>
    </section>
  );
}
