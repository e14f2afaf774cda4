import { useId, useState } from 'preact/hooks';
import { ALL_SCOPES, type ApiKey, type KeyInput, type ResultError, type Scope } from '../api/types';
import { ErrorNote } from '../components/error-note';
import { scopeText, useSession } from '../session-context';

interface Props {
  /** The key being edited; absent when creating one. */
  apiKey?: ApiKey;
  submitLabel: string;
  onSubmit(input: KeyInput): Promise<ResultError | null>;
  onCancel(): void;
}

const words = (text: string) => text.split(/[\s,]+/).filter(Boolean);

/** An instant as a `datetime-local` value, in the browser's time zone. */
function localInput(iso: string): string {
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/**
 * Name, scopes, project grants, address ranges and expiry of a key. Only what the signed-in key
 * holds itself is offered: a key can never grant more than it has.
 */
export function KeyForm({ apiKey, submitLabel, onSubmit, onCancel }: Props) {
  const { viewer } = useSession();
  const id = useId();
  const grantable = viewer.scopes.includes('ADMIN')
    ? ALL_SCOPES
    : ALL_SCOPES.filter((s) => viewer.scopes.includes(s));
  const [name, setName] = useState(apiKey?.name ?? '');
  const [scopes, setScopes] = useState<Scope[]>(apiKey?.scopes ?? []);
  const [allProjects, setAllProjects] = useState(
    viewer.projectNames === null && (apiKey ? apiKey.projectNames === null : true),
  );
  const [projects, setProjects] = useState((apiKey?.projectNames ?? viewer.projectNames ?? []).join(', '));
  const [ips, setIps] = useState((apiKey?.allowedIps ?? []).join(', '));
  const [expires, setExpires] = useState(apiKey?.expiresAt ? localInput(apiKey.expiresAt) : '');
  const [error, setError] = useState<ResultError | null>(null);
  const [busy, setBusy] = useState(false);

  const toggle = (scope: Scope, on: boolean) =>
    setScopes((s) => (on ? [...s, scope] : s.filter((x) => x !== scope)));

  const submit = async (e: Event) => {
    e.preventDefault();
    if (scopes.length === 0) {
      setError({ code: 'VALIDATION_FAILED', message: 'Choose at least one scope.' });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      setError(
        await onSubmit({
          name: name.trim(),
          scopes,
          projectNames: allProjects ? null : words(projects),
          allowedIps: words(ips),
          expiresAt: expires ? new Date(expires).toISOString() : null,
        }),
      );
    } catch (caught) {
      setError({ code: (caught as { code?: string }).code ?? 'ERROR', message: (caught as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="card form"
      onSubmit={submit}
      aria-label={apiKey ? `Edit key ${apiKey.name}` : 'Create a key'}
    >
      <div class="field">
        <label for={`${id}-name`}>Name</label>
        <input id={`${id}-name`} required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      <fieldset class="field">
        <legend>Scopes</legend>
        <div class="checks">
          {grantable.map((s) => (
            <label key={s}>
              <input
                type="checkbox"
                checked={scopes.includes(s)}
                onChange={(e) => toggle(s, e.currentTarget.checked)}
              />
              <code>{scopeText(s)}</code>
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset class="field">
        <legend>Projects</legend>
        {viewer.projectNames === null && (
          <label class="inline">
            <input
              type="checkbox"
              checked={allProjects}
              onChange={(e) => setAllProjects(e.currentTarget.checked)}
            />
            Every project
          </label>
        )}
        {!allProjects && (
          <>
            <label for={`${id}-projects`}>Project names</label>
            <input
              id={`${id}-projects`}
              value={projects}
              onInput={(e) => setProjects(e.currentTarget.value)}
              aria-describedby={`${id}-projects-help`}
            />
            <p id={`${id}-projects-help`} class="hint">
              Separated by commas or spaces
              {viewer.projectNames ? `; this key may grant ${viewer.projectNames.join(', ') || 'none'}` : ''}.
            </p>
          </>
        )}
      </fieldset>
      <div class="field-row">
        <div class="field">
          <label for={`${id}-ips`}>Allowed addresses</label>
          <input
            id={`${id}-ips`}
            class="mono"
            placeholder="any"
            value={ips}
            onInput={(e) => setIps(e.currentTarget.value)}
            aria-describedby={`${id}-ips-help`}
          />
          <p id={`${id}-ips-help`} class="hint">
            Addresses or CIDR ranges, e.g. <code>10.0.0.0/8</code>.
          </p>
        </div>
        <div class="field">
          <label for={`${id}-expires`}>Expires</label>
          <input
            id={`${id}-expires`}
            type="datetime-local"
            value={expires}
            onInput={(e) => setExpires(e.currentTarget.value)}
          />
        </div>
      </div>
      <ErrorNote error={error} />
      <div class="actions">
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
        <button type="button" class="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
