import type { CommandInputStore, PendingInput } from '../ports/command-input-store.js';
import type { WorkspaceRuntime, WorkspaceTarget } from '../ports/workspace-runtime.js';

export interface InputPumpDeps {
  input: CommandInputStore;
  runtime: WorkspaceRuntime;
  owner: string;
  /** Bytes per write into the run folder (one piece may be larger; it goes alone). */
  batchBytes?: number;
  log(level: 'info' | 'warn', message: string, details: Record<string, unknown>): void;
  /** The lease went to another replica: it delivers from the stored delivered seq. */
  onLeaseLost(): void;
  /** Input reached the run folder. */
  onDelivered?(): void;
}

const RETRY_MS = [250, 500, 1_000, 2_000, 5_000];

/**
 * Writes a running command's accepted input into its run folder, for the replica that holds the
 * lease: in seq order, each piece at its byte offset, and records each delivery after the
 * workspace confirmed it. A write that fails or whose confirmation is lost is simply made again:
 * the supervisor appends nothing twice at one offset.
 */
export class InputPump {
  private running = false;
  private again = false;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  private failures = 0;

  constructor(
    private readonly commandId: string,
    private readonly target: WorkspaceTarget,
    private readonly deps: InputPumpDeps,
  ) {}

  /** There may be input to deliver; delivery runs until none is left. */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.drain().finally(() => {
      this.running = false;
      if (this.again && !this.stopped) {
        this.again = false;
        this.poke();
      }
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped) {
        const pending = await this.deps.input.pending(this.commandId, this.deps.batchBytes ?? 1024 * 1024);
        if (pending.length === 0) return;
        const batch = contiguous(pending);
        const last = batch[batch.length - 1]!;
        const outcome = await this.deps.runtime.writeInput(this.target, this.commandId, {
          offset: batch[0]!.offset,
          data: Buffer.concat(batch.map((p) => p.data)),
          eof: last.eof,
        });
        if (outcome.state === 'ended') {
          // The command is gone; what it did not get stays stored and unread.
          this.stop();
          return;
        }
        if (outcome.state !== 'appended') {
          this.deps.log('warn', 'cannot deliver input: the run folder does not take it', {
            commandId: this.commandId,
            outcome,
          });
          this.stop();
          return;
        }
        this.failures = 0;
        this.deps.onDelivered?.();
        if (!(await this.deps.input.markDelivered(this.commandId, this.deps.owner, last.seq))) {
          this.stop();
          this.deps.onLeaseLost();
          return;
        }
      }
    } catch (error) {
      if (this.stopped) return;
      const delay = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)]!;
      this.failures++;
      this.deps.log('warn', 'could not deliver input; retrying', {
        commandId: this.commandId,
        err: error,
        retryInMs: delay,
      });
      this.retry = setTimeout(() => {
        this.retry = null;
        this.poke();
      }, delay);
    }
  }
}

/** The leading pieces that follow each other without a gap and end at the first `eof`. */
function contiguous(pending: readonly PendingInput[]): PendingInput[] {
  const batch = [pending[0]!];
  for (const next of pending.slice(1)) {
    const prev = batch[batch.length - 1]!;
    if (prev.eof || next.offset !== prev.offset + prev.data.length) break;
    batch.push(next);
  }
  return batch;
}
