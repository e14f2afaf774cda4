import type { Command } from '../api/types';
import { commandTitle, elapsed } from '../format';
import { href, Link } from '../router';
import { StatusBadge } from './status-badge';
import { TimeText } from './time-text';

/** Commands as rows; on a phone each row becomes a small card (see styles.css). */
export function CommandTable({
  commands,
  showProject = true,
}: {
  commands: Command[];
  showProject?: boolean;
}) {
  if (commands.length === 0) return <p>No commands match.</p>;
  const now = Date.now();
  return (
    <table class="table command-table">
      <thead>
        <tr>
          <th scope="col">Command</th>
          <th scope="col">Status</th>
          {showProject && <th scope="col">Project</th>}
          <th scope="col">Type</th>
          <th scope="col">Exit</th>
          <th scope="col">Duration</th>
          <th scope="col">Created</th>
          <th scope="col">Key</th>
        </tr>
      </thead>
      <tbody>
        {commands.map((c) => (
          <tr key={c.id}>
            <td data-label="Command">
              <Link to={href(`/commands/${encodeURIComponent(c.id)}`)} class="mono-link">
                {commandTitle(c) || c.id}
              </Link>
            </td>
            <td data-label="Status">
              <StatusBadge status={c.status} />
              {c.status === 'QUEUED' && c.queuePosition != null && (
                <span class="hint"> #{c.queuePosition}</span>
              )}
            </td>
            {showProject && <td data-label="Project">{c.projectName}</td>}
            <td data-label="Type">{c.type.toLowerCase()}</td>
            <td data-label="Exit">{c.exitCode ?? c.signal ?? '—'}</td>
            <td data-label="Duration">{elapsed(c.startedAt, c.finishedAt, now)}</td>
            <td data-label="Created">
              <TimeText iso={c.createdAt} />
            </td>
            <td data-label="Key">{c.requestedBy?.name ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
