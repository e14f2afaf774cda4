import type { ResultError } from '../api/types';

/** An error as the API gave it: message, stable code and, for validation, each field's problem. */
export function ErrorNote({ error }: { error: ResultError | null | undefined }) {
  if (!error) return null;
  return (
    <div class="note note-error" role="alert">
      <p>
        {error.message} <code class="code-tag">{error.code}</code>
      </p>
      {error.issues && error.issues.length > 0 && (
        <ul>
          {error.issues.map((i) => (
            <li key={i.path}>
              <code>{i.path}</code>: {i.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
