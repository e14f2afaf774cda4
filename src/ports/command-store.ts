import type {
  ClaudeOptions,
  ClaudeSession,
  Command,
  CommandEnd,
  CommandStatus,
  OutputEvent,
  OutputStream,
} from '../domain/command.js';
import type { GitStatusEntry } from '../domain/git-status.js';
import type { Page, PageRequest } from '../domain/page.js';
import type { CommandType } from '../domain/project.js';

export interface NewCommand {
  projectName: string;
  type: CommandType;
  priority: number;
  argv: string[];
  prompt: string | null;
  stdin: Uint8Array | null;
  env: Record<string, string>;
  cwd: string | null;
  timeoutSeconds: number;
  claude: ClaudeOptions | null;
  /** Keep stdin open for input sent while it runs. Default false. */
  openStdin?: boolean;
  idempotencyKey: string | null;
  /** Digest of the request, to tell a retry (same input) from a conflicting reuse of the key. */
  requestHash: string;
  requestedByKeyId: string | null;
}

/** A claimed command with what starting it needs; env and stdin are never shown elsewhere. */
export interface ClaimedCommand extends Command {
  stdin: Uint8Array | null;
  env: Record<string, string>;
  stdoutOffset: number;
  stderrOffset: number;
  storedBytes: number;
  /** How often a replica claimed it to start it. */
  startAttempts: number;
  /** Whether the workspace confirmed the start (its stdin and env are then forgotten). */
  started: boolean;
  /** W3C `traceparent` of the request that queued it: its claim and run continue that trace. */
  traceContext?: string | null;
}

export interface CommandFilter {
  /** Only these projects (a key's grants); `null` for all. */
  visibleProjects: readonly string[] | null;
  projectName?: string;
  statuses?: CommandStatus[];
  types?: CommandType[];
}

export interface NewOutputEvent {
  stream: OutputStream;
  /** The text of `bytes` (as the WHATWG UTF-8 decoder gives it: invalid sequences as U+FFFD). */
  data: string;
  /** The exact bytes the command wrote; omitted when they are the UTF-8 of `data` (rdev's own lines). */
  bytes?: Uint8Array;
  claude?: unknown;
}

/**
 * The database refused the output events themselves (a data or constraint error, e.g. a value it
 * cannot hold): storing the same events again fails again. Any other failure of `appendOutput`,
 * such as the database being unreachable, may pass by itself.
 */
export class OutputRejectedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutputRejectedError';
  }
}

export interface QueueCounts {
  projectName: string;
  queued: number;
  running: number;
  oldestQueuedAt: Date | null;
}

/**
 * Commands, their queue and their output. Methods that change a running command take the
 * replica's `owner` id and do nothing (return null/false) when the lease is no longer its own.
 */
export interface CommandStore {
  /**
   * Queues a new command.
   * @throws IdempotencyKeyTakenError when its key already has a command from the same caller.
   */
  insert(command: NewCommand): Promise<Command>;
  findByIdempotencyKey(
    keyId: string | null,
    idempotencyKey: string,
  ): Promise<(Command & { requestHash: string }) | null>;
  get(id: string): Promise<Command | null>;
  list(filter: CommandFilter, page: PageRequest): Promise<Page<Command>>;
  /** 1-based position of a queued command in its project's queue; null when not queued. */
  queuePosition(id: string, agingSeconds: number): Promise<number | null>;
  queueCounts(visibleProjects: readonly string[] | null): Promise<QueueCounts[]>;

  /** Projects with queued commands. */
  queuedProjects(): Promise<string[]>;
  /**
   * Moves up to `maxConcurrent - running` queued commands of a project to RUNNING under `owner`'s
   * lease, highest effective priority first. Serialised per project so the limit holds across
   * replicas; skips rows another claimer holds.
   */
  claim(
    projectName: string,
    maxConcurrent: number,
    owner: string,
    leaseMs: number,
    agingSeconds: number,
  ): Promise<ClaimedCommand[]>;
  /**
   * Puts a claimed command back in the queue. `attemptUsed: false` gives the claim's start attempt
   * back (the workspace could not be reached, so nothing was tried).
   */
  requeue(id: string, owner: string, error: string, options?: { attemptUsed?: boolean }): Promise<boolean>;
  /** Forgets stdin and env once the command started: they may hold secrets. */
  clearStartInputs(id: string): Promise<void>;
  /** Extends `owner`'s leases; returns the ids it still holds. */
  renewLeases(owner: string, ids: readonly string[], leaseMs: number): Promise<string[]>;
  /**
   * Takes over RUNNING commands whose lease expired, this replica's own included (a follower of
   * its that died), or, with `all`, every running command.
   */
  adopt(owner: string, leaseMs: number, limit: number, all?: boolean): Promise<ClaimedCommand[]>;
  /** Gives up `owner`'s leases at once (shutdown), so another replica adopts without waiting. */
  releaseLeases(owner: string, ids: readonly string[]): Promise<void>;
  /** Deletes up to `limit` commands (and their output) that ended before `endedBefore`. */
  pruneEnded(endedBefore: Date, limit: number): Promise<{ id: string; projectName: string }[]>;

  /**
   * Stores output events and the stream offsets they bring the command to, in one statement
   * batch. Returns the seqs given, or null when `owner` no longer holds the lease.
   * @throws OutputRejectedError when the database refuses the events themselves.
   */
  appendOutput(
    id: string,
    owner: string,
    events: NewOutputEvent[],
    progress: { stdoutOffset: number; stderrOffset: number; storedBytesDelta: number; truncated?: boolean },
  ): Promise<{ firstSeq: number; lastSeq: number } | null>;
  /**
   * Output events after `afterSeq` in seq order: at most `limit` of them and, past the first, no
   * more than about `maxBytes` of data, so one page of a big output stays small in memory.
   */
  readOutput(id: string, afterSeq: number, limit: number, maxBytes?: number): Promise<OutputEvent[]>;
  setClaudeSession(id: string, session: ClaudeSession): Promise<void>;

  /** Keeps the repository's status as the command starts (replacing one of an earlier attempt). */
  setGitStatusAtStart(id: string, entries: GitStatusEntry[]): Promise<void>;

  /** The status kept at start; `null` when none was kept. */
  gitStatusAtStart(id: string): Promise<GitStatusEntry[] | null>;

  setWorkspaceChanges(id: string, changes: GitStatusEntry[]): Promise<void>;
  requestCancel(id: string, at: Date): Promise<Command | null>;
  /**
   * Moves a command from QUEUED or RUNNING to a terminal status and stores its end event, exactly
   * once: returns null when it was already terminal (another replica won). With `owner`, only
   * while that replica holds the lease: a follower cut off from the database must not end a
   * command whose new owner has not stored the rest of its output yet.
   */
  finish(
    id: string,
    end: CommandEnd,
    at: Date,
    owner?: string,
  ): Promise<{ command: Command; endSeq: number } | null>;
}
