import { useState } from 'preact/hooks';
import type { ResultError } from '../api/types';
import { ErrorNote } from '../components/error-note';
import { LoadMore } from '../components/load-more';
import { SecretOnce } from '../components/secret-once';
import { TimeText } from '../components/time-text';
import { scopeText, useSession } from '../session-context';
import { usePaged } from '../use-paged';
import { useTitle } from '../use-title';
import { KeyForm } from './key-form';

const ROTATE_GRACE_SECONDS = 3600;

/** API keys: create (the secret shown once), edit scopes and grants, rotate, revoke. */
export function KeysPage() {
  useTitle('API keys');
  const { api, viewer } = useSession();
  const [includeRevoked, setIncludeRevoked] = useState(false);
  const keys = usePaged((after) => api.apiKeys(includeRevoked, after), [api, includeRevoked]);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ title: string; value: string } | null>(null);
  const [confirmRevoke, setConfirmRevoke] = useState<string | null>(null);
  const [actionError, setActionError] = useState<ResultError | null>(null);

  const refresh = keys.reload;

  const act = async (
    run: () => Promise<{ ok: true; value: unknown } | { ok: false; error: ResultError }>,
  ) => {
    setActionError(null);
    try {
      const result = await run();
      if (!result.ok) setActionError(result.error);
      refresh();
      return result;
    } catch (e) {
      setActionError({ code: (e as { code?: string }).code ?? 'ERROR', message: (e as Error).message });
      return null;
    }
  };

  return (
    <section class="page" aria-labelledby="keys-title">
      <div class="page-head">
        <h1 id="keys-title">API keys</h1>
        {!creating && (
          <button type="button" class="button button-primary" onClick={() => setCreating(true)}>
            Create a key
          </button>
        )}
      </div>
      {secret && <SecretOnce title={secret.title} secret={secret.value} onDone={() => setSecret(null)} />}
      {creating && (
        <KeyForm
          submitLabel="Create key"
          onCancel={() => setCreating(false)}
          onSubmit={async (input) => {
            const result = await api.createKey(input);
            if (!result.ok) return result.error;
            setCreating(false);
            setSecret({
              title: `Secret of the new key “${result.value.apiKey.name}”`,
              value: result.value.secret,
            });
            refresh();
            return null;
          }}
        />
      )}
      <label class="inline">
        <input
          type="checkbox"
          checked={includeRevoked}
          onChange={(e) => setIncludeRevoked(e.currentTarget.checked)}
        />
        Show revoked keys
      </label>
      <ErrorNote error={keys.error ?? actionError} />
      <ul class="key-list" aria-label="API keys">
        {keys.rows.map((k) => (
          <li key={k.id} class={`card key-card${k.revokedAt ? ' key-revoked' : ''}`}>
            <div class="project-card-head">
              <h2>
                {k.name} <code class="prefix">{k.prefix}</code>
              </h2>
              <span class={`badge ${k.revokedAt ? 'badge-quiet' : 'badge-good'}`}>
                {k.revokedAt ? 'revoked' : k.id === viewer.apiKey.id ? 'this key' : 'active'}
              </span>
            </div>
            <ul class="chips" aria-label={`Scopes of ${k.name}`}>
              {k.scopes.map((s) => (
                <li key={s} class="chip">
                  {scopeText(s)}
                </li>
              ))}
            </ul>
            <dl class="facts">
              <dt>Projects</dt>
              <dd>{k.projectNames ? k.projectNames.join(', ') || 'none' : 'every project'}</dd>
              <dt>Addresses</dt>
              <dd>{k.allowedIps.length ? k.allowedIps.join(', ') : 'any'}</dd>
              <dt>Created</dt>
              <dd>
                <TimeText iso={k.createdAt} />
              </dd>
              <dt>Last used</dt>
              <dd>
                <TimeText iso={k.lastUsedAt} />
              </dd>
              <dt>Expires</dt>
              <dd>{k.expiresAt ? <TimeText iso={k.expiresAt} /> : 'never'}</dd>
              {k.revokedAt && (
                <>
                  <dt>Revoked</dt>
                  <dd>
                    <TimeText iso={k.revokedAt} />
                  </dd>
                </>
              )}
            </dl>
            {editing === k.id && (
              <KeyForm
                apiKey={k}
                submitLabel="Save changes"
                onCancel={() => setEditing(null)}
                onSubmit={async (input) => {
                  const result = await api.updateKey(k.id, input);
                  if (!result.ok) return result.error;
                  setEditing(null);
                  refresh();
                  return null;
                }}
              />
            )}
            {!k.revokedAt && editing !== k.id && (
              <div class="actions">
                <button type="button" class="button" onClick={() => setEditing(k.id)}>
                  Edit<span class="visually-hidden"> {k.name}</span>
                </button>
                <button
                  type="button"
                  class="button"
                  onClick={async () => {
                    const result = await act(() => api.rotateKey(k.id, ROTATE_GRACE_SECONDS));
                    if (result?.ok) {
                      const { secret: value } = result.value as { secret: string };
                      setSecret({
                        title: `New secret of “${k.name}” (the old one works for another hour)`,
                        value,
                      });
                    }
                  }}
                >
                  Rotate<span class="visually-hidden"> {k.name}</span>
                </button>
                {confirmRevoke === k.id ? (
                  <>
                    <button
                      type="button"
                      class="button button-danger"
                      onClick={() => {
                        setConfirmRevoke(null);
                        void act(() => api.revokeKey(k.id));
                      }}
                    >
                      Revoke {k.name} now
                    </button>
                    <button type="button" class="button" onClick={() => setConfirmRevoke(null)}>
                      Keep it
                    </button>
                  </>
                ) : (
                  <button
                    type="button"
                    class="button button-danger-quiet"
                    onClick={() => setConfirmRevoke(k.id)}
                  >
                    Revoke<span class="visually-hidden"> {k.name}</span>
                  </button>
                )}
              </div>
            )}
          </li>
        ))}
      </ul>
      <LoadMore hasMore={keys.hasMore} loading={keys.loading} onMore={keys.more} />
    </section>
  );
}
