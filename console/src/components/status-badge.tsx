import type { CommandStatus, ProjectStatus } from '../api/types';

const TONE: Record<string, string> = {
  QUEUED: 'wait',
  PENDING: 'wait',
  RUNNING: 'live',
  SUCCEEDED: 'good',
  FAILED: 'bad',
  TIMED_OUT: 'bad',
  LOST: 'bad',
  CANCELLED: 'quiet',
  UNKNOWN: 'quiet',
};

/** A status as text (never colour alone), tinted by what it means. */
export function StatusBadge({ status }: { status: CommandStatus | ProjectStatus }) {
  return (
    <span class={`badge badge-${TONE[status] ?? 'quiet'}`}>{status.replace('_', ' ').toLowerCase()}</span>
  );
}
