import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Command } from '../domain/command.js';
import { type GitStatusEntry, gitStatusDifference } from '../domain/git-status.js';
import { systemPrincipal } from '../domain/principal.js';
import type { Project } from '../domain/project.js';
import type { CommandInputStore } from '../ports/command-input-store.js';
import type { ClaimedCommand, CommandStore } from '../ports/command-store.js';
import type { CommandTracing } from '../ports/command-tracing.js';
import type { EventBus } from '../ports/event-bus.js';
import type { ProjectLookup } from '../ports/project-lookup.js';
import type { WorkspaceRuntime } from '../ports/workspace-runtime.js';
import { CommandFollower, type FollowerSettings } from './command-follower.js';
import type { CommandLifecycle } from './command-lifecycle.js';
import { noCommandTracing } from './no-command-tracing.js';
import { StartBackoff } from './start-backoff.js';
import { workspaceTarget } from './workspace-target.js';

const SYSTEM = systemPrincipal('commands');

export interface ExecutorSettings extends FollowerSettings {
  leaseMs: number;
  queueAgingSeconds: number;
}

export interface ExecutorObserver {
  onStarted?(command: Command, queueWaitSeconds: number): void;
  onOutputBytes?(bytes: number): void;
  log(level: 'info' | 'warn', message: string, details: Record<string, unknown>): void;
}

export interface CommandExecutorDeps {
  store: CommandStore;
  /** Input of commands whose stdin stays open, delivered by the lease holder. */
  input: CommandInputStore;
  /** Claims, adoptions, hand-backs and ends: the moves that write webhook events and audit rows. */
  lifecycle: CommandLifecycle;
  projects: ProjectLookup;
  runtime: WorkspaceRuntime;
  bus: EventBus;
  settings: ExecutorSettings;
  observer: ExecutorObserver;
  /** Spans for claims and runs, in the trace of the request that queued each command. */
  tracing?: CommandTracing;
  /**
   * The workspace's git status entries (`null` outside a repository), taken as a command starts
   * and as it ends, so the command can say what it changed. Absent: nothing is recorded.
   */
  workspaceStatus?(project: Project): Promise<GitStatusEntry[] | null>;
}

/**
 * This replica's share of the work: claims queued commands when their project has a free slot,
 * follows the commands it holds leases on, renews those leases, and adopts commands whose lease
 * expired elsewhere. Background loops call its methods; it keeps no state a restart would need.
 */
export class CommandExecutor {
  /** This replica's lease owner id; new at every start, so a restarted process adopts its old work. */
  readonly owner = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly followers = new Map<string, CommandFollower>();
  private readonly running = new Set<Promise<void>>();
  private readonly backoff = new StartBackoff();
  /** Claim and adoption passes in progress: `stop()` waits for them, so nothing is taken after it. */
  private readonly passes = new Set<Promise<number>>();
  private stopped = false;

  constructor(private readonly deps: CommandExecutorDeps) {}

  get following(): number {
    return this.followers.size;
  }

  /** Claims what the free slots allow, in every project with queued commands. */
  async dispatch(onlyProject?: string): Promise<number> {
    return this.pass(() => this.claimQueued(onlyProject));
  }

  private async claimQueued(onlyProject?: string): Promise<number> {
    const projects = onlyProject ? [onlyProject] : await this.deps.store.queuedProjects();
    let claimed = 0;
    for (const name of projects) {
      const project = await this.deps.projects.find(SYSTEM, name).catch(() => null);
      // Queued commands wait while their workspace is not running or cannot be reached.
      if (project?.status !== 'RUNNING' || this.backoff.waiting(name)) continue;
      const claimStartedAt = Date.now();
      const commands = await this.deps.lifecycle.claim(project, this.owner, this.deps.settings);
      for (const c of commands) {
        claimed++;
        this.deps.observer.onStarted?.(
          c,
          ((c.startedAt?.getTime() ?? Date.now()) - c.createdAt.getTime()) / 1000,
        );
        this.follow(c, project, !c.started, claimStartedAt);
      }
    }
    return claimed;
  }

  /**
   * Takes over running commands whose lease expired (their replica died or was cut off). With
   * `all`, takes every running command: right for the embedded database, which one process owns.
   */
  async adopt(all = false): Promise<number> {
    return this.pass(() => this.adoptExpired(all));
  }

  private async adoptExpired(all: boolean): Promise<number> {
    const adopted = await this.deps.lifecycle.adopt(this.owner, this.deps.settings.leaseMs, 100, all);
    for (const c of adopted) {
      if (this.followers.has(c.id)) continue;
      let project: Project | null;
      try {
        project = await this.deps.projects.find(SYSTEM, c.projectName);
      } catch (error) {
        // The project list cannot be read right now: let the lease lapse and try again later,
        // rather than declaring the command lost.
        this.deps.observer.log('warn', 'cannot adopt yet: projects unavailable', {
          commandId: c.id,
          err: error,
        });
        await this.deps.lifecycle.release(this.owner, [c.id]);
        continue;
      }
      if (!project) {
        await this.deps.lifecycle.finish(
          null,
          c.id,
          {
            status: 'LOST',
            exitCode: null,
            signal: null,
            error: `lost: project "${c.projectName}" no longer exists`,
          },
          this.owner,
        );
        continue;
      }
      this.deps.observer.log('info', 'adopted running command', {
        commandId: c.id,
        projectName: c.projectName,
      });
      this.follow(c, project, !c.started);
    }
    return adopted.length;
  }

  /** Renews this replica's leases; followers whose lease was taken stop. */
  async renewLeases(): Promise<void> {
    const ids = [...this.followers.keys()];
    if (ids.length === 0) return;
    const kept = new Set(await this.deps.store.renewLeases(this.owner, ids, this.deps.settings.leaseMs));
    for (const id of ids) {
      if (!kept.has(id)) {
        this.deps.observer.log('warn', 'lease lost; another replica follows the command now', {
          commandId: id,
        });
        this.followers.get(id)?.detach('lease-lost');
        this.followers.delete(id);
      }
    }
  }

  /**
   * Whether a command's workspace is gone for good: its project was removed, or now lives in
   * another pod or folder. Throws (so the follower keeps retrying) while projects cannot be read.
   */
  private async workspaceGone(was: Project): Promise<boolean> {
    const now = await this.deps.projects.find(SYSTEM, was.name);
    return now === null || now.podName !== was.podName || now.workspacePath !== was.workspacePath;
  }

  /**
   * Claims and adopts nothing more, stops following everything (what was read is stored first),
   * hands the leases back and says so on the bus: another replica adopts the commands at once
   * rather than when the leases would have run out.
   */
  /**
   * Retention: deletes commands that ended more than `retentionMs` ago, their stored output and
   * their run folders. Audit rows stay. Returns how many were deleted.
   */
  async pruneExpired(retentionMs: number): Promise<number> {
    const ended = await this.deps.store.pruneEnded(new Date(Date.now() - retentionMs), 500);
    for (const c of ended) {
      const project = await this.deps.projects.find(SYSTEM, c.projectName).catch(() => null);
      if (project) await this.deps.runtime.remove(workspaceTarget(project), c.id).catch(() => undefined);
    }
    return ended.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.passes]);
    const ids = [...this.followers.keys()];
    for (const f of this.followers.values()) f.detach('shutdown');
    await Promise.allSettled([...this.running]);
    this.followers.clear();
    if (ids.length === 0) return;
    await this.deps.lifecycle.release(this.owner, ids).catch(() => {});
    await this.deps.bus.publish('leases_released', { count: ids.length }).catch(() => {});
  }

  /** Runs a claim or adoption pass, unless stopping; `stop()` waits for the passes in progress. */
  private async pass(run: () => Promise<number>): Promise<number> {
    if (this.stopped) return 0;
    const pass = run();
    this.passes.add(pass);
    try {
      return await pass;
    } finally {
      this.passes.delete(pass);
    }
  }

  private follow(
    command: ClaimedCommand,
    project: Project,
    needsStart: boolean,
    claimStartedAt?: number,
  ): void {
    const traced = (this.deps.tracing ?? noCommandTracing).run(command, claimStartedAt);
    const follower = new CommandFollower(command, workspaceTarget(project), {
      store: this.deps.store,
      input: this.deps.input,
      runtime: traced.runtime(this.deps.runtime),
      bus: this.deps.bus,
      owner: this.owner,
      settings: this.deps.settings,
      finish: async (id, end) => {
        // Before the end is stored, so a client told of the end finds the changes there.
        await this.recordChanges(id, project);
        return traced.finishing(end, () => this.deps.lifecycle.finish(null, id, end, this.owner));
      },
      workspaceGone: () => this.workspaceGone(project),
      onStartReached: (reached) =>
        reached ? this.backoff.reached(command.projectName) : this.backoff.unreachable(command.projectName),
      onOutputBytes: this.deps.observer.onOutputBytes,
      log: this.deps.observer.log,
    });
    this.followers.set(command.id, follower);
    const done = traced
      .untraced(async () => {
        if (needsStart) await this.recordStartStatus(command.id, project);
        return follower.run(needsStart);
      })
      .finally(() => {
        traced.end();
        if (this.followers.get(command.id) === follower) this.followers.delete(command.id);
        this.running.delete(done);
        void this.deps.bus.publish('dispatch', { projectName: command.projectName });
      });
    this.running.add(done);
  }

  private async recordStartStatus(id: string, project: Project): Promise<void> {
    const status = this.deps.workspaceStatus;
    if (!status) return;
    try {
      const entries = await status(project);
      if (entries) await this.deps.store.setGitStatusAtStart(id, entries);
    } catch (error) {
      // A git problem must not keep the command from running; it only goes without its changes.
      this.deps.observer.log('warn', 'could not read git status at start', { commandId: id, err: error });
    }
  }

  private async recordChanges(id: string, project: Project): Promise<void> {
    const status = this.deps.workspaceStatus;
    if (!status) return;
    try {
      const before = await this.deps.store.gitStatusAtStart(id);
      if (!before) return;
      const after = await status(project);
      if (after) await this.deps.store.setWorkspaceChanges(id, gitStatusDifference(before, after));
    } catch (error) {
      this.deps.observer.log('warn', 'could not read git status at the end', { commandId: id, err: error });
    }
  }
}
