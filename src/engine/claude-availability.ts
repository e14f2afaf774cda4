import type { Clock } from '../domain/clock.js';
import { ClaudeUnavailableError, RuntimeUnavailableError } from '../domain/errors.js';
import type { ClaudeProbe, ClaudeProbeResult } from '../ports/claude-probe.js';
import type { WorkspaceTarget } from '../ports/workspace-runtime.js';

/** What rdev last learnt about the Claude Code CLI in one place. */
export interface ClaudeStatus {
  /** The project it was checked for; null when one check covers every project (local runtime). */
  projectName: string | null;
  available: boolean;
  /** What `claude --version` printed; null when it is not available. */
  version: string | null;
  /** Where `claude` was found; null when it is not available. */
  path: string | null;
  /** Why it is not available, where rdev looked, and how to install it; null when it is. */
  message: string | null;
  checkedAt: Date;
}

export interface ClaudeAvailabilityDeps {
  probe: ClaudeProbe;
  clock: Clock;
  /**
   * Where one check for every project runs (the local runtime: every workspace gets the same
   * environment). Absent: each project is checked on its own, on first use (Kubernetes: each pod
   * has its own image).
   */
  sharedTarget?: WorkspaceTarget;
  /** A failed check is repeated by `runtimeStatus` after this long. Default 30 s. */
  failedRecheckMs?: number;
  /** A good check is trusted this long; then the next use looks again. Default 10 min. */
  okRecheckMs?: number;
  /** Told when a check finds `claude` missing or broken, or cannot look. */
  log?(level: 'warn' | 'info', message: string, details: Record<string, unknown>): void;
}

interface Entry {
  status: ClaudeStatus;
  /** The pod it was checked in: a project whose pod changed is checked again. */
  podName: string | null;
  /** Where `runtimeStatus` checks again. */
  target: WorkspaceTarget;
}

const SHARED = '';

/**
 * Whether `claude` can run where CLAUDE commands run, checked before one is queued rather than
 * learnt from a run that fails without a result. Checks are cached, but a failed one never for
 * long: a `runClaude` after a failure always looks again, and `runtimeStatus` after 30 s, so
 * installing `claude` takes effect without a restart.
 */
export class ClaudeAvailability {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<ClaudeStatus | null>>();
  private readonly failedRecheckMs: number;
  private readonly okRecheckMs: number;

  constructor(private readonly deps: ClaudeAvailabilityDeps) {
    this.failedRecheckMs = deps.failedRecheckMs ?? 30_000;
    this.okRecheckMs = deps.okRecheckMs ?? 10 * 60_000;
  }

  /** The check at start (local runtime), so an operator learns of a missing `claude` at once. */
  async checkAtStart(): Promise<ClaudeStatus | null> {
    const target = this.deps.sharedTarget;
    return target ? this.check(SHARED, target) : null;
  }

  /**
   * Refuses a CLAUDE command for `target` when `claude` is known not to run there. The last
   * failure is never trusted: it is looked at again. A workspace that cannot be reached is not a
   * refusal: the command queues and meets the runtime's own answer.
   * @throws ClaudeUnavailableError
   */
  async require(target: WorkspaceTarget): Promise<void> {
    const key = this.keyOf(target);
    const entry = this.entries.get(key);
    const now = this.deps.clock().getTime();
    let status: ClaudeStatus | null = entry?.status ?? null;
    if (
      !entry?.status.available ||
      (!this.deps.sharedTarget && entry.podName !== (target.podName ?? null)) ||
      now - entry.status.checkedAt.getTime() >= this.okRecheckMs
    ) {
      status = await this.check(key, this.deps.sharedTarget ? this.sharedTargetFor(target) : target);
    }
    if (status && !status.available) {
      throw new ClaudeUnavailableError(status.message ?? 'The Claude Code CLI is not available.', {
        project: target.projectName,
        ...(target.podName ? { pod: target.podName } : {}),
      });
    }
  }

  /**
   * What is known, for `runtimeStatus`: the shared check (made now if there is none yet), or each
   * project checked so far. Failed checks older than 30 s, and good ones past their time, are
   * made again first.
   */
  async statuses(): Promise<ClaudeStatus[]> {
    const now = this.deps.clock().getTime();
    const stale = (s: ClaudeStatus) =>
      now - s.checkedAt.getTime() >= (s.available ? this.okRecheckMs : this.failedRecheckMs);
    if (this.deps.sharedTarget && !this.entries.has(SHARED)) {
      await this.check(SHARED, this.deps.sharedTarget);
    }
    await Promise.all(
      [...this.entries].filter(([, e]) => stale(e.status)).map(([key, e]) => this.check(key, e.target)),
    );
    return [...this.entries.values()]
      .map((e) => e.status)
      .sort((a, b) => (a.projectName ?? '').localeCompare(b.projectName ?? ''));
  }

  private keyOf(target: WorkspaceTarget): string {
    return this.deps.sharedTarget ? SHARED : target.projectName;
  }

  /** A project's own folder is as good a place as any for the shared check, and surely exists. */
  private sharedTargetFor(target: WorkspaceTarget): WorkspaceTarget {
    return { ...target, projectName: this.deps.sharedTarget!.projectName };
  }

  /** One check per key at a time; null when the place could not be reached (nothing is cached). */
  private check(key: string, target: WorkspaceTarget): Promise<ClaudeStatus | null> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const done = this.look(key, target).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, done);
    return done;
  }

  private async look(key: string, target: WorkspaceTarget): Promise<ClaudeStatus | null> {
    let result: ClaudeProbeResult;
    try {
      result = await this.deps.probe.probe(target);
    } catch (error) {
      if (!(error instanceof RuntimeUnavailableError)) throw error;
      this.deps.log?.('info', 'could not look for the Claude Code CLI', {
        project: target.projectName,
        err: error.message,
      });
      return null;
    }
    const status: ClaudeStatus = {
      projectName: key === SHARED ? null : key,
      available: result.available,
      version: result.available ? result.version : null,
      path: result.available ? result.path : null,
      message: result.available ? null : result.message,
      checkedAt: this.deps.clock(),
    };
    const previous = this.entries.get(key)?.status;
    const recheckAt = key === SHARED ? this.deps.sharedTarget! : target;
    this.entries.set(key, { status, podName: target.podName ?? null, target: recheckAt });
    if (!status.available && (!previous || previous.available || previous.message !== status.message)) {
      this.deps.log?.('warn', status.message!, { project: status.projectName });
    }
    return status;
  }
}
