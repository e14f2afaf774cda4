/**
 * A command run: one execution of a command inside its workspace, under the supervisor. These are
 * the facts the workspace runtime reports; the command service turns them into command statuses.
 *
 * Terminology:
 * - run folder: `<workspace>/.rdev/runs/<commandId>/`, holding the command's stdin, environment,
 *   appended stdout and stderr, and its exit status once it ended.
 * - offset: a byte position in the run folder's stdout or stderr file. Output is followed from
 *   offsets, so a dropped stream resumes exactly where the stored output ends.
 */

/** Output streams a command writes. */
export type OutputStreamName = 'stdout' | 'stderr';

/** How a command ended. */
export interface CommandExit {
  /** The exit code, or `null` when a signal ended the command. */
  exitCode: number | null;
  /** The signal that ended the command (`SIGTERM`), or `null`. */
  signal: string | null;
  /**
   * Set when the supervisor chose the code itself: `no-cwd` (126, the working directory is
   * missing) or `launch-failed` (125, the supervisor could not start).
   */
  reason: string | null;
}

/**
 * Why a run is lost: `no-run-dir` (the folder is gone, e.g. the pod was replaced), `waiter-gone`
 * (the supervisor died without recording an exit), `not-started`, `start-interrupted`,
 * `bad-offset` (asked to follow past the end of the output), `no-output-files`.
 */
export type LostReason = string;

/** The state of a run as read from its run folder. */
export type RunState =
  /** The command runs as process group `pgid`. */
  | { state: 'running'; pgid: number }
  /** The command ended. */
  | { state: 'exited'; exit: CommandExit }
  /** The supervisor is launching the command; ask again shortly. */
  | { state: 'starting' }
  /** The run folder exists but nothing was started in it. */
  | { state: 'not-started' }
  /** The run cannot be followed any more; see {@link LostReason}. */
  | { state: 'lost'; reason: LostReason };

/** Byte offsets into a run's stdout and stderr files. */
export interface OutputOffsets {
  stdoutOffset: number;
  stderrOffset: number;
}

/** How `stop` ended a run. */
export type StopOutcome =
  /** The process group had already ended. */
  | 'gone'
  /** TERM ended every process of the group within the grace period. */
  | 'stopped-term'
  /** The grace period ran out and KILL ended the group. */
  | 'stopped-kill'
  /** Nothing was ever started for this command. */
  | 'not-started';

/** What `remove` did with a run folder. */
export type RemoveOutcome = 'removed' | 'absent' | 'busy';

/** Run ids are command ids: safe as one path segment on every file system. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** Whether `id` can name a run folder. */
export function isValidRunId(id: string): boolean {
  return RUN_ID.test(id);
}
