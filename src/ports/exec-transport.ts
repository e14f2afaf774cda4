import type { WorkspaceTarget } from './workspace-runtime.js';

/**
 * The one thing the supervisor runtime needs from a technology: run an argv in a workspace's
 * environment (a child process locally, an exec WebSocket in a pod), feed it some bytes, stream
 * its stdout and learn how it ended. Argv elements reach the program as they are; no shell
 * parses them.
 */
export interface ExecTransport {
  /**
   * Starts `argv` with the workspace folder as working directory.
   * @throws RuntimeUnavailableError when the program cannot be started there at all (pod missing
   * or not running, connection refused or timed out, workspace folder missing).
   */
  exec(target: WorkspaceTarget, argv: readonly string[], options?: ExecOptions): Promise<ExecProcess>;
}

export interface ExecOptions {
  /**
   * Bytes written to the program's stdin. Readers must consume a known count (the supervisor's
   * `write PATH LENGTH`): some transports cannot signal end of input (Kubernetes exec under the
   * v4 channel protocol), so stdin may stay open until the program exits.
   */
  stdin?: Uint8Array;
}

/** A running program. */
export interface ExecProcess {
  /**
   * The program's stdout; ends when the program ended or the connection dropped. Reading it is
   * back-pressured: the transport stops reading from the program while the consumer lags.
   */
  readonly stdout: AsyncIterable<Uint8Array>;
  /** Settles once the outcome is known (after stdout ended); never rejects. */
  readonly done: Promise<ExecOutcome>;
  /**
   * Lets go of the program: closes the connection (Kubernetes) or ends the process (local). The
   * outcome becomes `dropped` unless it was known already. Idempotent.
   */
  close(): void;
}

/** How an exec ended. `stderr` holds the start of the program's stderr, for diagnostics. */
export type ExecOutcome =
  /** The program exited; codes above 128 are 128 + a signal number. */
  | { kind: 'exited'; exitCode: number; stderr: string }
  /** The program could not be run (e.g. `sh` missing in the container). */
  | { kind: 'failed'; message: string; stderr: string }
  /** The connection ended (or was closed) before the program's exit was reported. */
  | { kind: 'dropped'; message: string; stderr: string };

/** How much of a program's stderr transports keep for {@link ExecOutcome}. */
export const EXEC_STDERR_LIMIT = 8 * 1024;

/** Collects the first {@link EXEC_STDERR_LIMIT} bytes of a stream. */
export class StderrTail {
  private readonly parts: Buffer[] = [];
  private size = 0;

  push(chunk: Uint8Array): void {
    if (this.size >= EXEC_STDERR_LIMIT) return;
    const piece = Buffer.from(chunk.subarray(0, EXEC_STDERR_LIMIT - this.size));
    this.parts.push(piece);
    this.size += piece.length;
  }

  text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}
