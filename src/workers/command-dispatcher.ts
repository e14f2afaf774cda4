import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { CommandExecutor } from '../engine/command-executor.js';
import type { EventBus } from '../ports/event-bus.js';
import { retentionSweepIntervalMs } from './retention-sweep-interval.js';

export interface DispatcherOptions {
  executor: CommandExecutor;
  bus: EventBus;
  /** Safety-net interval: claims happen on notifications, and at least this often. */
  intervalMs: number;
  leaseMs: number;
  /** Adopt every running command at start (the embedded database has one process). */
  adoptAllAtStart: boolean;
  /** Ended commands older than this are deleted with their output and run folders; 0 keeps them. */
  retentionMs: number;
  onError(error: unknown, what: string): void;
}

/**
 * Drives the executor: claims on "dispatch" notifications (a command queued or finished) and on a
 * timer, renews leases at a third of their lifetime, and looks for orphaned commands to adopt.
 */
export class CommandDispatcher {
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | null = null;
  private dispatching: Promise<unknown> | null = null;
  private again = false;
  private stopped = false;

  constructor(private readonly options: DispatcherOptions) {}

  async start(): Promise<void> {
    const { executor } = this.options;
    await executor.adopt(this.options.adoptAllAtStart).catch((e) => this.options.onError(e, 'adopt'));
    const unDispatch = this.options.bus.subscribe('dispatch', ({ projectName }) => this.kick(projectName));
    // A replica that shuts down hands its running commands back: take them over now, not when
    // their leases would have run out.
    const unReleased = this.options.bus.subscribe('leases_released', () => {
      if (!this.stopped) executor.adopt().catch((e) => this.options.onError(e, 'adopt'));
    });
    this.unsubscribe = () => {
      unDispatch();
      unReleased();
    };
    this.every(this.options.intervalMs, () => this.kick());
    this.every(Math.max(500, Math.floor(this.options.leaseMs / 3)), () =>
      executor.renewLeases().catch((e) => this.options.onError(e, 'renew leases')),
    );
    // Expired leases are looked for on the dispatch interval too, so a killed replica's commands
    // are adopted within the lease TTL plus that interval, not up to half a lease later (but not
    // more than four times a second, whatever the interval).
    this.every(Math.max(250, Math.min(this.options.intervalMs, Math.floor(this.options.leaseMs / 2))), () =>
      executor.adopt().catch((e) => this.options.onError(e, 'adopt')),
    );
    const retentionMs = this.options.retentionMs;
    if (retentionMs > 0) {
      this.every(retentionSweepIntervalMs(retentionMs), () =>
        executor.pruneExpired(retentionMs).catch((e) => this.options.onError(e, 'retention')),
      );
    }
    this.kick();
  }

  /**
   * Runs a dispatch pass now, or right after the one in progress. Given the project whose queue
   * changed, a pass started now claims for that project alone, without first asking the database
   * which projects have queued commands: one round trip less between enqueue and claim.
   */
  kick(project?: string): void {
    if (this.stopped) return;
    if (this.dispatching) {
      // The pass in progress may have looked before this change: look at every project again.
      this.again = true;
      return;
    }
    // A pass serves every project, so it must not run in the trace (or log context) of the
    // request whose event happened to start it.
    this.dispatching = context
      .with(ROOT_CONTEXT, () => this.options.executor.dispatch(project))
      .catch((e) => this.options.onError(e, 'dispatch'))
      .finally(() => {
        this.dispatching = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const t of this.timers) clearInterval(t);
    await this.dispatching;
    await this.options.executor.stop();
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }
}
