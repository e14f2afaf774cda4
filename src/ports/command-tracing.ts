import type { CommandEnd } from '../domain/command.js';
import type { ClaimedCommand } from './command-store.js';
import type { WorkspaceRuntime } from './workspace-runtime.js';

/**
 * Traces a command from the request that queued it to its end, across replicas: its claim and
 * its run become spans of the request's trace, whose context is stored with the command
 * (`ClaimedCommand.traceContext`).
 */
export interface CommandTracing {
  /**
   * Begins tracing one run of `command` on this replica. With `claimStartedAt` (epoch ms) the run
   * follows a claim that began then and ended now; without it the command was adopted.
   */
  run(command: ClaimedCommand, claimStartedAt?: number): CommandRunTrace;
}

/** The trace of one run of a command on this replica. */
export interface CommandRunTrace {
  /** `runtime` with its starts and stops traced, and the trace passed to the process (`TRACEPARENT`). */
  runtime(runtime: WorkspaceRuntime): WorkspaceRuntime;
  /** Runs `fn`, which records how the command ended, in the run's trace. */
  finishing<T>(end: CommandEnd, fn: () => Promise<T>): Promise<T>;
  /**
   * Runs `fn` (the follow loop) without tracing the work inside it: every stored batch of output
   * would otherwise add a span. Starts, stops and the finish inside stay traced.
   */
  untraced<T>(fn: () => Promise<T>): Promise<T>;
  /** The run is over here (finished, lease lost, or shutdown). */
  end(): void;
}
