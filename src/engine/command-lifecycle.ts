import { auditActor } from '../domain/audit.js';
import type { Clock } from '../domain/clock.js';
import type { Command, CommandEnd } from '../domain/command.js';
import { commandWebhookData } from '../domain/command-json.js';
import type { Principal } from '../domain/principal.js';
import type { Project } from '../domain/project.js';
import type { ClaimedCommand, CommandStore } from '../ports/command-store.js';
import type { EventBus } from '../ports/event-bus.js';
import type { UnitOfWork } from '../ports/unit-of-work.js';

export interface CommandLifecycleDeps {
  store: CommandStore;
  unitOfWork: UnitOfWork;
  bus: EventBus;
  clock: Clock;
  /** Called once per command when it reaches its terminal status, however it got there. */
  onFinished?(command: Command): void;
}

/**
 * The moves of a command after it was queued: claimed (RUNNING, with a lease), adopted by another
 * replica, handed back, finished. Each move writes its webhook event (and audit row) in the same
 * transaction as the change, then says so on the bus.
 */
export class CommandLifecycle {
  constructor(private readonly deps: CommandLifecycleDeps) {}

  /**
   * Claims the best queued commands of `project` that its free slots allow, with a lease for
   * `owner`; each one's `command.started` event commits with the claim.
   */
  async claim(
    project: Project,
    owner: string,
    settings: { leaseMs: number; queueAgingSeconds: number },
  ): Promise<ClaimedCommand[]> {
    const claimed = await this.deps.unitOfWork.run(async ({ commands, webhooks }) => {
      const got = await commands.claim(
        project.name,
        project.maxConcurrentCommands,
        owner,
        settings.leaseMs,
        settings.queueAgingSeconds,
      );
      for (const c of got) {
        await webhooks.enqueue({
          type: 'command.started',
          projectName: c.projectName,
          data: commandWebhookData(c),
        });
      }
      return got;
    });
    for (const c of claimed) await this.deps.bus.publish('command_status', { commandId: c.id });
    return claimed;
  }

  /** Takes the lease of running commands whose lease expired (all running ones with `all`). */
  adopt(owner: string, leaseMs: number, limit: number, all: boolean): Promise<ClaimedCommand[]> {
    return this.deps.store.adopt(owner, leaseMs, limit, all);
  }

  /** Gives leases up at once, so another replica can adopt the commands without waiting. */
  release(owner: string, ids: readonly string[]): Promise<void> {
    return this.deps.store.releaseLeases(owner, ids);
  }

  /**
   * Moves a queued or running command to a terminal status with its end event, audit row and
   * webhook event, exactly once. Returns null when it had already ended, or when `owner` is given
   * and no longer holds the command's lease.
   */
  async finish(
    actor: Principal | null,
    id: string,
    end: CommandEnd,
    owner?: string,
  ): Promise<Command | null> {
    const result = await this.deps.unitOfWork.run(async ({ commands, audit, webhooks }) => {
      const done = await commands.finish(id, end, this.deps.clock(), owner);
      if (!done) return null;
      const c = done.command;
      await audit.record({
        ...(actor
          ? auditActor(actor)
          : { actorKeyId: null, actorComponent: 'commands', clientIp: null, requestId: null }),
        action: 'command.finish',
        targetType: 'Command',
        targetId: c.id,
        outcome: c.status === 'SUCCEEDED' ? 'SUCCESS' : 'FAILURE',
        details: {
          projectName: c.projectName,
          status: c.status,
          exitCode: c.exitCode,
          signal: c.signal,
          error: c.error,
        },
      });
      await webhooks.enqueue({
        type: `command.${c.status.toLowerCase()}` as never,
        projectName: c.projectName,
        data: commandWebhookData(c),
      });
      return done;
    });
    if (!result) return null;
    this.deps.onFinished?.(result.command);
    await this.deps.bus.publish('command_output', { commandId: id, seq: result.endSeq });
    await this.deps.bus.publish('command_status', { commandId: id });
    await this.deps.bus.publish('dispatch', { projectName: result.command.projectName });
    return result.command;
  }
}
