import { ClaudeRunTracker } from '../domain/claude-stream.js';
import type { CommandEnd, CommandStatus } from '../domain/command.js';
import type { CommandExit } from '../domain/command-run.js';
import {
  DomainError,
  RuntimeUnavailableError,
  ValidationError,
  WorkspaceFailedError,
} from '../domain/errors.js';
import { OutputChunker } from '../domain/output-chunker.js';
import { LineSplitter } from '../domain/output-splitter.js';
import type { CommandInputStore } from '../ports/command-input-store.js';
import type { ClaimedCommand, CommandStore, OutputRejectedError } from '../ports/command-store.js';
import type { EventBus } from '../ports/event-bus.js';
import type { WorkspaceRuntime, WorkspaceTarget } from '../ports/workspace-runtime.js';
import { InputPump } from './input-pump.js';
import { OutputRecorder } from './output-recorder.js';

export interface FollowerSettings {
  maxChunkBytes: number;
  /** Stored output per command; past it a SYSTEM event says so and the rest is dropped. */
  outputCapBytes: number;
  /** CLAUDE: a run silent for this long is stopped and fails. */
  watchdogSeconds: number;
  cancelGraceSeconds: number;
  /** A start that fails this many times fails the command instead of requeueing it. */
  maxStartAttempts: number;
}

export interface FollowerDeps {
  store: CommandStore;
  /** Input of commands whose stdin stays open; without it such input waits for another replica. */
  input?: CommandInputStore;
  runtime: WorkspaceRuntime;
  bus: EventBus;
  owner: string;
  settings: FollowerSettings;
  /** Moves the command to its terminal status (exactly once, with audit and webhook rows). */
  finish(id: string, end: CommandEnd): Promise<unknown>;
  /**
   * Whether the command's workspace is gone for good (its project removed, or moved to another
   * pod); asked only after following failed several times in a row.
   */
  workspaceGone?(): Promise<boolean>;
  /** Whether the start reached the workspace (false: it could not be reached, and will be retried). */
  onStartReached?(reached: boolean): void;
  onOutputBytes?(bytes: number): void;
  log(level: 'info' | 'warn', message: string, details: Record<string, unknown>): void;
}

const STOP_RETRY_MS = 2_000;
/** How often a follower looks for undelivered input without being told of any. */
const INPUT_SAFETY_NET_MS = 5_000;
/** Failed follow attempts in a row (about 3 s with the backoff) before asking whether the workspace is gone. */
const LOST_AFTER_FAILURES = 4;

/**
 * Follows one running command for the replica that holds its lease: starts it when that has not
 * happened yet, reads its output from the stored offsets, stores it in ordered events, enforces
 * the timeout and the Claude watchdog, and records how it ended. A dropped stream is resumed from
 * the stored offsets, so nothing is lost or repeated.
 */
export class CommandFollower {
  private readonly abort = new AbortController();
  private readonly output: OutputRecorder;
  private stream: AbortController | null = null;
  private leaseLost = false;
  private reason: 'timeout' | 'watchdog' | 'cancel' | null = null;
  /** The database refuses the command's output: the command ends without it. */
  private rejected: OutputRejectedError | null = null;
  private readonly claude: ClaudeRunTracker | null;
  private timers: NodeJS.Timeout[] = [];
  private lastActivity = Date.now();
  private pump: InputPump | null = null;

  constructor(
    private readonly command: ClaimedCommand,
    private readonly target: WorkspaceTarget,
    private readonly deps: FollowerDeps,
  ) {
    this.claude = command.type === 'CLAUDE' ? new ClaudeRunTracker() : null;
    this.output = new OutputRecorder(command, {
      store: deps.store,
      bus: deps.bus,
      owner: deps.owner,
      settings: deps.settings,
      claude: this.claude,
      onOutputBytes: deps.onOutputBytes,
      log: deps.log,
      // A write failed: the stream stops, and the next one reads from what is stored.
      onWriteFailed: () => this.stream?.abort(),
      // Another replica owns the command now; it follows from the offsets it finds stored.
      onLeaseLost: () => this.detach('lease-lost'),
      leaseLost: () => this.leaseLost,
      onRejected: (error) => {
        this.rejected = error;
        this.stream?.abort();
      },
    });
  }

  get id(): string {
    return this.command.id;
  }

  /** Stops following without deciding anything (lease lost, or this replica shuts down). */
  detach(reason: 'lease-lost' | 'shutdown'): void {
    this.leaseLost = reason === 'lease-lost';
    this.abort.abort();
  }

  async run(needsStart: boolean): Promise<void> {
    // A cancel may be asked on any replica: it says so on the bus, and the lease holder stops the run.
    const unsubscribe = this.deps.bus.subscribe('command_status', ({ commandId }) => {
      if (commandId === this.id) void this.stopIfCancelled();
    });
    let unsubscribeInput = () => {};
    try {
      if (needsStart && !(await this.start())) return;
      unsubscribeInput = this.pumpInput();
      // Asked before the start took effect, or while no replica followed the command; checked
      // alongside the first read rather than before it, to keep first output quick.
      void this.stopIfCancelled();
      this.armTimers();
      await this.followUntilEnd();
    } catch (error) {
      if (!this.abort.signal.aborted) {
        this.deps.log('warn', 'command follower failed', { commandId: this.id, err: error });
      }
    } finally {
      unsubscribe();
      unsubscribeInput();
      this.pump?.stop();
      for (const t of this.timers) clearTimeout(t);
      this.output.dispose();
    }
  }

  /**
   * Delivers the command's input once it runs: what was accepted before (while it was queued, or
   * followed by a replica that stopped), then whatever the bus announces. A lost notification
   * is made up for at the next heartbeat of the output stream, when the bus reconnects, or at
   * the latest after {@link INPUT_SAFETY_NET_MS}.
   */
  private pumpInput(): () => void {
    if (!this.command.openStdin || !this.deps.input) return () => {};
    const pump = new InputPump(this.id, this.target, {
      input: this.deps.input,
      runtime: this.deps.runtime,
      owner: this.deps.owner,
      log: this.deps.log,
      onLeaseLost: () => this.detach('lease-lost'),
      // Input just reached the command: the watchdog gives it the whole period to answer.
      onDelivered: () => {
        this.lastActivity = Date.now();
      },
    });
    this.pump = pump;
    const unsubscribe = this.deps.bus.subscribe('command_input', ({ commandId }) => {
      if (commandId === this.id) pump.poke();
    });
    const unsubscribeReconnect = this.deps.bus.onReconnect(() => pump.poke());
    // A notification lost while output keeps the stream busy (no heartbeats) waits this long.
    const safetyNet = setInterval(() => pump.poke(), INPUT_SAFETY_NET_MS);
    pump.poke();
    return () => {
      unsubscribe();
      unsubscribeReconnect();
      clearInterval(safetyNet);
    };
  }

  private async stopIfCancelled(): Promise<void> {
    if (this.reason || this.abort.signal.aborted) return;
    const current = await this.deps.store.get(this.id).catch(() => null);
    if (current?.cancelRequestedAt) this.stopFor('cancel');
  }

  private async start(): Promise<boolean> {
    const c = this.command;
    try {
      await this.deps.runtime.start(this.target, {
        commandId: c.id,
        argv: c.argv,
        cwd: c.cwd,
        env: c.env,
        stdin: c.stdin ?? undefined,
        openStdin: c.openStdin,
      });
      this.deps.onStartReached?.(true);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A workspace that cannot be reached (circuit open, API timing out) is waited for, however
      // long the outage: such failures use up no attempt, and the claims back off meanwhile. One
      // that answered but failed (the supervisor could not be installed or failed) uses one.
      const unreachable =
        error instanceof RuntimeUnavailableError && !(error instanceof WorkspaceFailedError);
      this.deps.onStartReached?.(!unreachable);
      if (
        error instanceof ValidationError ||
        !(error instanceof DomainError) ||
        (!unreachable && this.attempts() >= this.deps.settings.maxStartAttempts)
      ) {
        await this.deps.finish(c.id, {
          status: 'FAILED',
          exitCode: null,
          signal: null,
          error: `could not start: ${message}`,
        });
      } else {
        // The workspace could not be reached; start is idempotent, so trying again later is safe.
        await this.deps.store.requeue(c.id, this.deps.owner, `start failed, will retry: ${message}`, {
          attemptUsed: !unreachable,
        });
        if (!unreachable) await this.deps.bus.publish('dispatch', { projectName: c.projectName });
      }
      return false;
    }
    // The command runs now, whatever becomes of this write: a database that cannot take it must
    // not fail the command as unstarted. Ending the command forgets stdin and env too, and until
    // then a replica that adopts it starts it again, which finds it started.
    await this.deps.store.clearStartInputs(c.id).catch((error) => {
      this.deps.log('warn', 'could not forget stdin and env yet; they are forgotten when the command ends', {
        commandId: c.id,
        err: error,
      });
    });
    return true;
  }

  private attempts(): number {
    return this.command.startAttempts;
  }

  private armTimers(): void {
    const started = this.command.startedAt?.getTime() ?? Date.now();
    const timeoutIn = started + this.command.timeoutSeconds * 1000 - Date.now();
    this.timers.push(setTimeout(() => this.stopFor('timeout'), Math.max(0, timeoutIn)));
    if (this.claude && this.deps.settings.watchdogSeconds > 0) {
      const check = () => {
        // An interactive session between turns waits for a message: silence is no hang then.
        if (this.command.openStdin && this.claude?.betweenTurns) this.lastActivity = Date.now();
        const silentMs = Date.now() - this.lastActivity;
        if (silentMs >= this.deps.settings.watchdogSeconds * 1000) this.stopFor('watchdog');
        else this.timers.push(setTimeout(check, this.deps.settings.watchdogSeconds * 1000 - silentMs + 10));
      };
      this.timers.push(setTimeout(check, this.deps.settings.watchdogSeconds * 1000));
    }
  }

  private stopFor(reason: 'timeout' | 'watchdog' | 'cancel'): void {
    if (this.reason || this.abort.signal.aborted) return;
    this.reason = reason;
    this.stopRun();
  }

  /** Stops the run, trying again while the workspace cannot be reached. */
  private stopRun(): void {
    if (this.abort.signal.aborted) return;
    this.deps.runtime.stop(this.target, this.id, this.deps.settings.cancelGraceSeconds).catch((error) => {
      this.deps.log('warn', 'could not stop command; trying again', {
        commandId: this.id,
        reason: this.reason,
        err: error,
      });
      this.timers.push(setTimeout(() => this.stopRun(), STOP_RETRY_MS));
    });
  }

  private async followUntilEnd(): Promise<void> {
    let backoffMs = 200;
    let failures = 0;
    while (!this.abort.signal.aborted) {
      this.output.rewindIfNeeded();
      // Each stream starts from what is stored: held-back bytes of a split character or an
      // unfinished Claude line are read again rather than lost.
      const chunker = new OutputChunker({
        maxChunkBytes: this.deps.settings.maxChunkBytes,
        offsets: this.output.offsets,
      });
      const lines = this.claude ? new LineSplitter(16 * 1024 * 1024) : null;
      const stream = new AbortController();
      const stopStream = () => stream.abort();
      this.abort.signal.addEventListener('abort', stopStream, { once: true });
      this.stream = stream;
      try {
        for await (const event of this.deps.runtime.follow(
          this.target,
          this.id,
          this.output.offsets,
          stream.signal,
        )) {
          backoffMs = 200;
          failures = 0;
          if (event.type === 'stdout' || event.type === 'stderr') {
            this.lastActivity = Date.now();
            this.output.take(chunker, lines, event.type, event.data);
          } else if (event.type === 'heartbeat') {
            // Alive; nothing to store.
            this.pump?.poke();
          } else if (event.type === 'exit') {
            this.output.takeRest(chunker, lines);
            await this.output.flush();
            // Output that could not be stored is read again before the end is recorded.
            if (this.output.rewinding || this.leaseLost) break;
            await this.end(event);
            return;
          } else if (event.type === 'lost') {
            await this.output.flush();
            await this.deps.finish(this.id, {
              status: 'LOST',
              exitCode: null,
              signal: null,
              error: `lost: ${event.reason}`,
            });
            return;
          } else if (event.type === 'dropped') {
            this.deps.log('info', 'output stream dropped; resuming from stored offsets', {
              commandId: this.id,
              reason: event.reason,
            });
            break;
          }
          if (stream.signal.aborted) break;
        }
      } catch (error) {
        if (this.abort.signal.aborted) break;
        if (!this.output.rewinding) {
          failures++;
          this.deps.log('warn', 'could not follow command; retrying', { commandId: this.id, err: error });
          // A pod that was deleted (or a workspace folder removed) never answers again: rather
          // than retry for ever, the command is lost once its project no longer has it.
          if (failures >= LOST_AFTER_FAILURES && (await this.deps.workspaceGone?.().catch(() => false))) {
            await this.output.flush();
            const reason = error instanceof Error ? error.message : String(error);
            await this.deps.finish(this.id, {
              status: 'LOST',
              exitCode: null,
              signal: null,
              error: `lost: the workspace it ran in is gone (${reason})`,
            });
            return;
          }
        }
      } finally {
        this.abort.signal.removeEventListener('abort', stopStream);
        this.stream = null;
      }
      await this.output.flush();
      if (this.leaseLost || this.abort.signal.aborted) return;
      if (this.rejected) {
        await this.endUnstorable(this.rejected);
        return;
      }
      await new Promise((r) => setTimeout(r, backoffMs));
      backoffMs = Math.min(backoffMs * 2, 5_000);
    }
    await this.output.flush().catch(() => {});
  }

  /**
   * Ends a command whose output the database keeps refusing: reading it again would fail the same
   * way for ever. The run is stopped (it may still be writing), and the command fails saying why,
   * unless it was cancelled: a cancel always ends a command CANCELLED.
   */
  private async endUnstorable(rejected: OutputRejectedError): Promise<void> {
    await this.deps.runtime
      .stop(this.target, this.id, this.deps.settings.cancelGraceSeconds)
      .catch((error) => {
        this.deps.log('warn', 'could not stop a command whose output cannot be stored', {
          commandId: this.id,
          err: error,
        });
      });
    const current = await this.deps.store.get(this.id);
    const cancelled = current?.cancelRequestedAt || this.reason === 'cancel';
    await this.deps.finish(
      this.id,
      cancelled
        ? { status: 'CANCELLED', exitCode: null, signal: null, error: 'cancelled' }
        : {
            status: 'FAILED',
            exitCode: null,
            signal: null,
            error: `could not store its output: ${rejected.message}`,
          },
    );
  }

  private async end(exit: CommandExit): Promise<void> {
    if (this.leaseLost) return;
    if (this.claude) {
      await this.deps.store.setClaudeSession(this.id, {
        ...this.claude.session,
        resultSubtype: this.claude.outcome().subtype,
        isError: this.claude.hasResult ? !this.claude.outcome().succeeded : null,
      });
    }
    const current = await this.deps.store.get(this.id);
    let status: CommandStatus;
    let error: string | null = null;
    if (current?.cancelRequestedAt || this.reason === 'cancel') {
      status = 'CANCELLED';
      error = 'cancelled';
    } else if (this.reason === 'timeout') {
      status = 'TIMED_OUT';
      error = `timed out after ${this.command.timeoutSeconds} s`;
    } else if (this.reason === 'watchdog') {
      status = 'FAILED';
      error = `no output for ${this.deps.settings.watchdogSeconds} s: stopped by the watchdog`;
    } else if (this.claude) {
      const outcome = this.claude.outcome();
      status = outcome.succeeded && exit.exitCode === 0 ? 'SUCCEEDED' : 'FAILED';
      error = outcome.error ?? (exit.exitCode !== 0 ? exitMessage(exit) : null);
    } else {
      status = exit.exitCode === 0 ? 'SUCCEEDED' : 'FAILED';
      error = exit.exitCode === 0 ? null : exitMessage(exit);
    }
    await this.deps.finish(this.id, { status, exitCode: exit.exitCode, signal: exit.signal, error });
  }
}

function exitMessage(exit: CommandExit): string {
  if (exit.reason === 'no-cwd') return 'the working directory does not exist';
  if (exit.reason) return exit.reason;
  if (exit.signal) return `ended by ${exit.signal}`;
  if (exit.exitCode === 127) return 'exit code 127: command not found';
  return `exit code ${exit.exitCode}`;
}
