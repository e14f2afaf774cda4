import { useState } from 'preact/hooks';
import { type ResultError, WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../api/types';
import { ErrorNote } from '../components/error-note';

export interface WebhookInput {
  url: string;
  events: WebhookEventType[];
  projectNames: string[] | null;
  description: string | null;
}

/** The event names as receivers see them on the wire (`command.succeeded`). */
export const eventText = (e: WebhookEventType) => e.toLowerCase().replace('_', '.');

export function WebhookForm({
  onSubmit,
  onCancel,
}: {
  onSubmit(input: WebhookInput): Promise<ResultError | null>;
  onCancel(): void;
}) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEventType[]>(['COMMAND_SUCCEEDED', 'COMMAND_FAILED']);
  const [projects, setProjects] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<ResultError | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const names = projects.split(/[\s,]+/).filter(Boolean);
      setError(
        await onSubmit({
          url: url.trim(),
          events,
          projectNames: names.length ? names : null,
          description: description.trim() || null,
        }),
      );
    } catch (caught) {
      setError({ code: (caught as { code?: string }).code ?? 'ERROR', message: (caught as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card form" onSubmit={submit} aria-label="Create a webhook">
      <div class="field">
        <label for="webhook-url">URL</label>
        <input
          id="webhook-url"
          type="url"
          required
          placeholder="https://"
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
      </div>
      <fieldset class="field">
        <legend>Events</legend>
        <div class="checks">
          {WEBHOOK_EVENT_TYPES.map((t) => (
            <label key={t}>
              <input
                type="checkbox"
                checked={events.includes(t)}
                onChange={(e) =>
                  setEvents((x) => (e.currentTarget.checked ? [...x, t] : x.filter((y) => y !== t)))
                }
              />
              <code>{eventText(t)}</code>
            </label>
          ))}
        </div>
      </fieldset>
      <div class="field-row">
        <div class="field">
          <label for="webhook-projects">Projects</label>
          <input
            id="webhook-projects"
            placeholder="every project"
            value={projects}
            onInput={(e) => setProjects(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="webhook-description">Description</label>
          <input
            id="webhook-description"
            value={description}
            onInput={(e) => setDescription(e.currentTarget.value)}
          />
        </div>
      </div>
      <ErrorNote error={error} />
      <div class="actions">
        <button type="submit" class="button button-primary" disabled={busy || events.length === 0}>
          {busy ? 'Creating…' : 'Create webhook'}
        </button>
        <button type="button" class="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
