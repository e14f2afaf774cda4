import type { Insertable, Selectable } from 'kysely';
import type { ClaudeOptions, ClaudeSession, Command, CommandStatus } from '../../domain/command.js';
import type { GitStatusEntry } from '../../domain/git-status.js';
import type { CommandType } from '../../domain/project.js';
import type { ClaimedCommand, NewCommand } from '../../ports/command-store.js';
import type { CommandsTable } from './schema.js';

/** Mapping between the commands table and the domain, for the command store. */

export type CommandRow = Selectable<CommandsTable>;

/** The row of a newly queued command; `traceContext` is the trace of the request that queued it. */
export function newCommandRow(c: NewCommand, traceContext: string | null): Insertable<CommandsTable> {
  return {
    project_name: c.projectName,
    type: c.type,
    status: 'QUEUED',
    priority: c.priority,
    argv: c.argv,
    prompt: c.prompt,
    stdin: c.stdin ? Buffer.from(c.stdin) : null,
    env: JSON.stringify(c.env),
    env_names: Object.keys(c.env),
    cwd: c.cwd,
    timeout_seconds: c.timeoutSeconds,
    claude_options: c.claude ? JSON.stringify(c.claude) : null,
    claude_session: null,
    git_status_at_start: null,
    workspace_changes: null,
    idempotency_key: c.idempotencyKey,
    request_hash: c.requestHash,
    requested_by: c.requestedByKeyId,
    started_at: null,
    finished_at: null,
    exit_code: null,
    signal: null,
    error: null,
    cancel_requested_at: null,
    last_output_at: null,
    lease_owner: null,
    lease_expires_at: null,
    // The request's trace goes with the command, to whichever replica runs it.
    trace_context: traceContext,
    open_stdin: c.openStdin ?? false,
  };
}

export function toCommand(row: CommandRow): Command {
  return {
    id: row.id,
    projectName: row.project_name,
    type: row.type as CommandType,
    status: row.status as CommandStatus,
    priority: row.priority,
    argv: row.argv,
    prompt: row.prompt,
    cwd: row.cwd,
    envNames: row.env_names,
    timeoutSeconds: row.timeout_seconds,
    idempotencyKey: row.idempotency_key,
    requestedByKeyId: row.requested_by,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    exitCode: row.exit_code,
    signal: row.signal,
    error: row.error,
    claude: (row.claude_options as ClaudeOptions | null) ?? null,
    claudeSession: (row.claude_session as ClaudeSession | null) ?? null,
    workspaceChanges: (row.workspace_changes as GitStatusEntry[] | null) ?? null,
    cancelRequestedAt: row.cancel_requested_at,
    lastSeq: row.last_seq,
    outputTruncated: row.output_truncated,
    openStdin: row.open_stdin,
    inputEof: row.input_eof,
  };
}

export function toClaimed(row: CommandRow): ClaimedCommand {
  return {
    ...toCommand(row),
    stdin: row.stdin ? new Uint8Array(row.stdin) : null,
    env: row.env ?? {},
    stdoutOffset: Number(row.stdout_offset),
    stderrOffset: Number(row.stderr_offset),
    storedBytes: Number(row.stored_bytes),
    startAttempts: row.start_attempts,
    started: row.env === null,
    traceContext: row.trace_context,
  };
}
