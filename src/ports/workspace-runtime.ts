import type {
  CommandExit,
  LostReason,
  OutputOffsets,
  RemoveOutcome,
  RunState,
  StopOutcome,
} from '../domain/command-run.js';

/**
 * Where a command runs: a project's workspace, either a folder on this machine or a folder inside
 * a container of a pod. A {@link Project} can be passed as it is.
 */
export interface WorkspaceTarget {
  /** The project, for errors and logs. */
  projectName: string;
  /** Absolute path of the workspace (inside the container for Kubernetes). */
  workspacePath: string;
  /** The pod (Kubernetes); required by the Kubernetes runtime, ignored locally. */
  podName?: string | null;
  /** The pod's namespace; the runtime's default namespace when absent. */
  namespace?: string | null;
  /** The container; the runtime's default (or the pod's only container) when absent. */
  container?: string | null;
  /** `false`: a sandboxed local runtime gives the commands no network. Ignored elsewhere. */
  network?: boolean;
}

/** What to run. */
export interface RunSpec {
  /**
   * The command's id, which names its run folder (`<workspace>/.rdev/runs/<commandId>/`): letters,
   * digits, `-` and `_`, at most 128 characters, starting with a letter or digit.
   */
  commandId: string;
  /** Program and arguments, passed to the program as they are (never through a shell). */
  argv: readonly string[];
  /** Working directory relative to the workspace; must stay inside it. Default: the workspace. */
  cwd?: string | null;
  /** Variables added to the workspace's environment (names `[A-Za-z_][A-Za-z0-9_]*`, no line breaks in values). */
  env?: Readonly<Record<string, string>>;
  /** Bytes the command reads on stdin (then end of file). Default: nothing. */
  stdin?: Uint8Array;
  /**
   * Keep the command's stdin open: it reads what {@link WorkspaceRuntime.writeInput} appends,
   * until an `eof`. `stdin` is ignored then. Default: false.
   */
  openStdin?: boolean;
}

/** A piece of input for an open-stdin run, to go at `offset` of its input log. */
export interface RunInput {
  /** Where the bytes start in the run's input (the sum of every earlier piece's length). */
  offset: number;
  data: Uint8Array;
  /** Close the command's stdin once it read these bytes. */
  eof: boolean;
}

/**
 * What became of a piece of input: stored (`size` is the input's length now), or not, because
 * the run `ended`, was not started with open stdin (`not-open`), or holds less input than the
 * piece's offset (`gap`: earlier input is missing, which only a replaced run folder explains).
 */
export type InputOutcome =
  | { state: 'appended'; size: number }
  | { state: 'ended' }
  | { state: 'not-open' }
  | { state: 'gap'; size: number };

/**
 * One event of a follow stream. Payload events carry the stream offset *after* their bytes, so
 * storing `offset` with the bytes (in one transaction) is enough to resume without gap or duplicate.
 */
export type FollowEvent =
  /** Bytes the command wrote; `offset` is where the next byte of that stream will start. */
  | { type: 'stdout' | 'stderr'; data: Uint8Array; offset: number }
  /** Nothing happened for a while; the stream is alive. */
  | { type: 'heartbeat' }
  /** The command ended; all of its output was delivered before this event. Final. */
  | ({ type: 'exit' } & CommandExit)
  /** The run cannot be followed (run folder gone, supervisor died). Final. */
  | { type: 'lost'; reason: LostReason }
  /**
   * The connection ended before the run did (proxy idle timeout, network, watchdog, API pod
   * moving). Final for this stream; the command runs on: follow again from the stored offsets.
   */
  | { type: 'dropped'; reason: string };

/**
 * Runs commands detached inside workspaces under the run supervisor, and reads them back. Every
 * operation is a short, separate connection; no operation keeps a command alive, so commands
 * outlive dropped streams, API restarts and replica moves.
 *
 * Errors: `ValidationError` for a bad spec (id, cwd, env, argv), `RuntimeUnavailableError` when
 * the workspace cannot be reached (pod missing or not running, circuit open, connection failed or
 * timed out). A `RuntimeUnavailableError` from `start` leaves it unknown whether the command
 * started: call `start` again (it is idempotent) or `status`.
 */
export interface WorkspaceRuntime {
  /**
   * Starts the command detached, in its own process group, at most once per command id: a second
   * call (a retry, another replica) starts nothing and reports the run's current state. Installs
   * the supervisor in `<workspace>/.rdev/bin/` first when it is missing or outdated.
   * @returns `running` (with the process group id), or `exited` when the command already ended
   * (including 126 `no-cwd` when the working directory does not exist).
   */
  start(target: WorkspaceTarget, spec: RunSpec): Promise<RunState>;

  /**
   * Streams the run's output from the given offsets, then its exit. The stream is disposable:
   * it ends with exactly one final event (`exit`, `lost` or `dropped`), or without one when
   * `signal` aborts it or the consumer stops iterating. Iteration is back-pressured: output is
   * read from the workspace only as fast as the consumer takes events.
   * @param offsets where to resume; offsets past the end of the output end in `lost bad-offset`.
   * @throws RuntimeUnavailableError when the follow connection cannot be opened.
   */
  follow(
    target: WorkspaceTarget,
    commandId: string,
    offsets: OutputOffsets,
    signal?: AbortSignal,
  ): AsyncIterable<FollowEvent>;

  /**
   * Whether the workspace folder itself holds a git repository (`.git`); folders above it do not
   * count, since git never looks past the workspaces folder.
   * @throws RuntimeUnavailableError when the workspace cannot be reached.
   */
  isGitRepository(target: WorkspaceTarget): Promise<boolean>;

  /**
   * Appends input for a run started with `openStdin`. Idempotent per offset: the bytes at an
   * offset are always the same, so a repeated call (a retry, a replica that took over) delivers
   * nothing twice, and a call cut off half-way is completed by the next.
   * @throws RuntimeUnavailableError when the workspace cannot be reached; call again.
   */
  writeInput(target: WorkspaceTarget, commandId: string, input: RunInput): Promise<InputOutcome>;

  /** Reads the run's state without waiting. `lost no-run-dir` when there is no run folder. */
  status(target: WorkspaceTarget, commandId: string): Promise<RunState>;

  /**
   * Ends the command's whole process group: TERM, up to `graceSeconds` for every process of the
   * group to end, then KILL. Resolves once the group is gone; the exit event still comes through
   * `follow`.
   */
  stop(target: WorkspaceTarget, commandId: string, graceSeconds: number): Promise<StopOutcome>;

  /**
   * Deletes a finished run's folder (retention). Refuses (`busy`) while the command runs; a
   * missing folder is `absent`.
   */
  remove(target: WorkspaceTarget, commandId: string): Promise<RemoveOutcome>;
}
