import type { GitStatusEntry } from './git-status.js';
import type { CommandType } from './project.js';

/**
 * Commands: one run of `claude`, a shell command or git in a project's workspace.
 *
 * Terminology:
 * - queue: commands in status QUEUED, ordered by effective priority (priority plus an aging bonus
 *   that grows with waiting time, so low priority cannot starve), then age.
 * - claim: a replica moves a queued command to RUNNING when its project has a free slot, and takes
 *   its lease.
 * - lease: the right to follow a running command, held by one replica and renewed by heartbeat;
 *   when it expires another replica adopts the command and follows it from the stored offsets.
 * - seq: the per-command number of an output event, from 1, without gaps; the cursor clients
 *   resume from.
 * - end event: the last output event of a command, carrying its final status; exactly one.
 */
export const COMMAND_STATUSES = [
  'QUEUED',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'TIMED_OUT',
  'LOST',
] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<CommandStatus> = new Set([
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'TIMED_OUT',
  'LOST',
]);

export function isTerminal(status: CommandStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export const OUTPUT_STREAMS = ['STDOUT', 'STDERR', 'SYSTEM'] as const;
export type OutputStream = (typeof OUTPUT_STREAMS)[number];

export const MIN_PRIORITY = 0;
export const MAX_PRIORITY = 100;
export const DEFAULT_PRIORITY = 50;

/** What a CLAUDE run reported about its session (from the `init` and `result` events). */
export interface ClaudeSession {
  sessionId: string | null;
  model: string | null;
  costUsd: number | null;
  numTurns: number | null;
  durationMs: number | null;
  usage: Record<string, unknown> | null;
  resultSubtype: string | null;
  isError: boolean | null;
}

/** Options of a CLAUDE command, kept for display and for building its argv. */
export interface ClaudeOptions {
  resumeSessionId: string | null;
  maxTurns: number | null;
  allowedTools: string[] | null;
  model: string | null;
  /** A session that takes messages while it runs (absent on commands from before the option). */
  interactive?: boolean;
}

export interface Command {
  id: string;
  projectName: string;
  type: CommandType;
  status: CommandStatus;
  priority: number;
  /** What runs, as passed to the program (never through a shell). Secrets in it are not redacted here. */
  argv: string[];
  /** CLAUDE: the prompt (sent on stdin). */
  prompt: string | null;
  /** Working directory relative to the workspace. */
  cwd: string | null;
  /** Names of the extra environment variables (values are never shown). */
  envNames: string[];
  timeoutSeconds: number;
  idempotencyKey: string | null;
  requestedByKeyId: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  exitCode: number | null;
  signal: string | null;
  error: string | null;
  claude: ClaudeOptions | null;
  claudeSession: ClaudeSession | null;
  /**
   * What the command changed in its git repository: the status entries that differ between its
   * start and its end. `null` while it runs, outside a repository, or when git could not tell.
   */
  workspaceChanges?: GitStatusEntry[] | null;
  /** Set once a cancel was asked for a running command. */
  cancelRequestedAt: Date | null;
  /** The last seq stored (0 when none). */
  lastSeq: number;
  /** Whether stored output hit the cap (the command ran on). */
  outputTruncated: boolean;
  /** Started with its stdin open: it reads input sent while it runs (`sendCommandInput`). */
  openStdin: boolean;
  /** The end of its input was sent: it takes no more. */
  inputEof: boolean;
}

/**
 * Whether a command takes input now: its stdin was kept open, no end of input was sent, and it
 * has not ended. Queued commands take input too; it is delivered once they start.
 */
export function acceptsInput(command: Command): boolean {
  return command.openStdin && !command.inputEof && !isTerminal(command.status);
}

/** The final status summary carried by a command's end event. */
export interface CommandEnd {
  status: CommandStatus;
  exitCode: number | null;
  signal: string | null;
  error: string | null;
}

/** The exact bytes of an output event. */
export function outputEventBytes(e: Pick<OutputEvent, 'data' | 'bytes'>): Uint8Array {
  return e.bytes ?? Buffer.from(e.data, 'utf8');
}

/** One stored output event. `end` is set on the final event only. */
export interface OutputEvent {
  commandId: string;
  seq: number;
  stream: OutputStream;
  /** The text of the bytes: invalid UTF-8 sequences and NUL bytes are U+FFFD. */
  data: string;
  /**
   * The exact bytes the command wrote, when they are not the UTF-8 of `data` (invalid UTF-8 or
   * NUL bytes); null when they are. {@link outputEventBytes} gives them either way.
   */
  bytes: Uint8Array | null;
  at: Date;
  /** CLAUDE: the parsed stream-json object of this line. */
  claude: unknown | null;
  end: CommandEnd | null;
}
