import { createHash } from 'node:crypto';
import { redactArgv } from '../domain/argv-redaction.js';
import { auditActor } from '../domain/audit.js';
import {
  canAccessProject,
  requireProjectAccess,
  requireScope,
  visibleProjects,
} from '../domain/authorization.js';
import { claudeArgv, claudePromptIssues } from '../domain/claude-argv.js';
import { claudeUserMessage } from '../domain/claude-input.js';
import type { Clock } from '../domain/clock.js';
import { type Command, type CommandStatus, DEFAULT_PRIORITY, isTerminal } from '../domain/command.js';
import { commandWebhookData } from '../domain/command-json.js';
import {
  CommandNotAllowedError,
  ConflictError,
  IdempotencyKeyTakenError,
  NotFoundError,
  PreconditionFailedError,
  RuntimeUnavailableError,
  ValidationError,
} from '../domain/errors.js';
import { gitArgv } from '../domain/git-args.js';
import { DEFAULT_PAGE_SIZE, type Page, type PageRequest } from '../domain/page.js';
import { type Principal, systemPrincipal } from '../domain/principal.js';
import type { CommandType, Project } from '../domain/project.js';
import { resolveRunCwd, runEnvironmentIssues } from '../domain/run-request.js';
import { shellArgv } from '../domain/shell-argv.js';
import type { ClaudeAvailability } from '../engine/claude-availability.js';
import type { CommandLifecycle } from '../engine/command-lifecycle.js';
import { workspaceTarget } from '../engine/workspace-target.js';
import type { CommandStore, NewCommand, QueueCounts } from '../ports/command-store.js';
import type { EventBus } from '../ports/event-bus.js';
import type { ProjectLookup } from '../ports/project-lookup.js';
import type { UnitOfWork } from '../ports/unit-of-work.js';
import type { WorkspaceRuntime } from '../ports/workspace-runtime.js';
import {
  type CommandLimits,
  claudeSchema,
  gitSchema,
  type RunClaudeInput,
  type RunGitInput,
  type RunShellInput,
  shellSchema,
} from './command-inputs.js';
import { parseInput } from './validation.js';
import { visibleCommand } from './visible-command.js';

export type { CommandLimits, RunClaudeInput, RunGitInput, RunShellInput } from './command-inputs.js';

const SYSTEM = systemPrincipal('commands');

export interface CommandServiceDeps {
  store: CommandStore;
  unitOfWork: UnitOfWork;
  /** Ends a command cancelled before it started, as every other end is recorded. */
  lifecycle: CommandLifecycle;
  projects: ProjectLookup;
  runtime: WorkspaceRuntime;
  /** Refuses CLAUDE commands where `claude` cannot run; without it they are not checked. */
  claude?: ClaudeAvailability;
  bus: EventBus;
  clock: Clock;
  limits: CommandLimits;
  onQueued?(command: Command): void;
}

export interface CommandListFilter {
  projectName?: string | null;
  statuses?: CommandStatus[] | null;
  types?: CommandType[] | null;
}

/** A command ready to be stored, before the caller and request digest are added. */
type Prepared = Omit<NewCommand, 'requestHash' | 'requestedByKeyId'>;

/**
 * Queuing commands, cancelling them, and looking them up. Every method checks the caller first:
 * the scope of the command type, the key's project grant, then the project's own policy. What
 * happens to a command after it was queued is the lifecycle's; its output is the output reader's.
 */
export class CommandService {
  constructor(private readonly deps: CommandServiceDeps) {}

  async runClaude(caller: Principal | null, input: RunClaudeInput): Promise<Command> {
    requireScope(caller, 'commands:run:claude');
    const data = parseInput(claudeSchema(this.deps.limits), input);
    const issues = claudePromptIssues(data.prompt, this.deps.limits.promptMaxBytes);
    if (issues.length > 0) throw new ValidationError(issues);
    const interactive = data.interactive ?? false;
    const claude = {
      resumeSessionId: data.resumeSessionId ?? null,
      maxTurns: data.maxTurns ?? null,
      allowedTools: data.allowedTools ?? null,
      model: data.model ?? null,
      ...(interactive ? { interactive } : {}),
    };
    const argv = claudeArgv(claude);
    const project = await this.projectFor(caller, data.projectName, 'CLAUDE');
    // Refused as data now, rather than a run that ends FAILED without a result.
    await this.deps.claude?.require(workspaceTarget(project));
    return this.enqueue(
      caller,
      project,
      {
        ...this.commonFields(data),
        type: 'CLAUDE',
        projectName: project.name,
        argv,
        prompt: data.prompt,
        // An interactive session reads its prompt as the first message on its open stdin.
        stdin: interactive ? null : new TextEncoder().encode(data.prompt),
        env: {},
        cwd: null,
        claude,
        openStdin: interactive,
      },
      interactive ? claudeUserMessage(data.prompt) : undefined,
    );
  }

  async runShell(caller: Principal | null, input: RunShellInput): Promise<Command> {
    requireScope(caller, 'commands:run:shell');
    const data = parseInput(shellSchema(this.deps.limits), input);
    const argv = shellArgv({ argv: data.argv, script: data.script });
    const env = data.env ?? {};
    const envIssues = runEnvironmentIssues(env);
    if (envIssues.length > 0) throw new ValidationError(envIssues);
    const project = await this.projectFor(caller, data.projectName, 'SHELL');
    resolveRunCwd(project.workspacePath, data.cwd);
    return this.enqueue(caller, project, {
      ...this.commonFields(data),
      type: 'SHELL',
      projectName: project.name,
      argv,
      prompt: null,
      stdin: null,
      env,
      cwd: data.cwd ?? null,
      claude: null,
      openStdin: data.openStdin ?? false,
    });
  }

  async runGit(caller: Principal | null, input: RunGitInput): Promise<Command> {
    requireScope(caller, 'commands:run:git');
    const data = parseInput(gitSchema(this.deps.limits), input);
    const argv = gitArgv(data.args);
    const project = await this.projectFor(caller, data.projectName, 'GIT');
    await this.requireGitRepository(project);
    return this.enqueue(caller, project, {
      ...this.commonFields(data),
      type: 'GIT',
      projectName: project.name,
      argv,
      prompt: null,
      stdin: null,
      env: {},
      cwd: null,
      claude: null,
    });
  }

  /**
   * Every git subcommand rdev runs needs a repository; refusing here says so plainly instead of
   * a run failing with git's own message. An unreachable workspace is not a refusal: the command
   * queues as any other and meets the same answer from git when it runs.
   */
  private async requireGitRepository(project: Project): Promise<void> {
    const isRepository = await this.deps.runtime
      .isGitRepository(workspaceTarget(project))
      .catch((error: unknown) => {
        if (error instanceof RuntimeUnavailableError) return true;
        throw error;
      });
    if (isRepository) return;
    throw new PreconditionFailedError(
      `The folder of project "${project.name}" is not a git repository. Make it one first: run ` +
        'runShell with script: "git init" (or clone a repository into it), then run git again.',
      { project: project.name, reason: 'not-a-git-repository' },
    );
  }

  /** Cancels a queued command at once; a running one is stopped (TERM, grace, KILL) and ends CANCELLED. */
  async cancel(caller: Principal | null, id: string): Promise<Command> {
    requireScope(caller, 'commands:cancel');
    const command = await visibleCommand(this.deps.store, caller, id);
    if (isTerminal(command.status)) return command;
    const now = this.deps.clock();
    if (command.status === 'QUEUED') {
      const finished = await this.deps.lifecycle.finish(caller, command.id, {
        status: 'CANCELLED',
        exitCode: null,
        signal: null,
        error: 'cancelled before it started',
      });
      if (finished) return finished;
      // It was claimed meanwhile: fall through and stop it.
    }
    const requested = await this.deps.unitOfWork.run(async ({ commands, audit }) => {
      const c = await commands.requestCancel(command.id, now);
      await audit.record({
        ...auditActor(caller),
        action: 'command.cancel',
        targetType: 'Command',
        targetId: command.id,
        outcome: 'SUCCESS',
        details: { projectName: command.projectName, status: c?.status ?? command.status },
      });
      return c;
    });
    if (requested && requested.status === 'RUNNING') {
      // The follower (on whichever replica holds the lease) stops the run when told, and records
      // CANCELLED when it sees the exit; stopping from here too saves a round trip on this replica.
      await this.deps.bus.publish('command_status', { commandId: command.id });
      const project = await this.deps.projects.find(SYSTEM, command.projectName).catch(() => null);
      if (project) {
        void this.deps.runtime
          .stop(workspaceTarget(project), command.id, this.deps.limits.cancelGraceSeconds)
          .catch(() => {});
      }
    }
    return (await this.deps.store.get(command.id)) ?? command;
  }

  async get(caller: Principal | null, id: string): Promise<Command | null> {
    requireScope(caller, 'commands:read');
    const command = await this.deps.store.get(id);
    return command && canAccessProject(caller, command.projectName) ? command : null;
  }

  async list(
    caller: Principal | null,
    filter: CommandListFilter,
    page: Partial<PageRequest>,
  ): Promise<Page<Command>> {
    requireScope(caller, 'commands:read');
    return this.deps.store.list(
      {
        visibleProjects: visibleProjects(caller),
        projectName: filter.projectName ?? undefined,
        statuses: filter.statuses ?? undefined,
        types: filter.types ?? undefined,
      },
      { first: page.first ?? DEFAULT_PAGE_SIZE, after: page.after },
    );
  }

  queuePosition(command: Command): Promise<number | null> {
    return command.status === 'QUEUED'
      ? this.deps.store.queuePosition(command.id, this.deps.limits.queueAgingSeconds)
      : Promise.resolve(null);
  }

  async queueCounts(caller: Principal | null): Promise<QueueCounts[]> {
    requireScope(caller, 'commands:read');
    return this.deps.store.queueCounts(visibleProjects(caller));
  }

  private async projectFor(caller: Principal, name: string, type: CommandType): Promise<Project> {
    // The run scope and the project grant are what running needs; reading the project list
    // (`projects:read`) is a separate permission a CI key should not need.
    requireProjectAccess(caller, name);
    const project = await this.deps.projects.find(SYSTEM, name);
    if (!project) throw new NotFoundError('Project', name);
    if (!project.allowedCommandTypes.includes(type)) {
      throw new CommandNotAllowedError(
        `Project "${project.name}" does not allow ${type} commands (its allowed_commands rule lists ${
          project.allowedCommandTypes.join(', ') || 'none'
        }).`,
        { rule: 'allowed_commands', projectName: project.name, type, allowed: project.allowedCommandTypes },
      );
    }
    return project;
  }

  private commonFields(data: {
    priority?: number | null;
    idempotencyKey?: string | null;
    timeoutSeconds?: number | null;
  }) {
    return {
      priority: data.priority ?? DEFAULT_PRIORITY,
      idempotencyKey: data.idempotencyKey ?? null,
      timeoutSeconds: data.timeoutSeconds ?? this.deps.limits.timeoutDefaultSeconds,
    };
  }

  /** Queues the command; `initialInput` is its first piece of open-stdin input, stored with it. */
  private async enqueue(
    caller: Principal,
    project: Project,
    prepared: Prepared,
    initialInput?: Uint8Array,
  ): Promise<Command> {
    const requestHash = createHash('sha256')
      .update(
        JSON.stringify([
          prepared.type,
          prepared.projectName,
          prepared.argv,
          prepared.prompt,
          Object.entries(prepared.env).sort(),
          prepared.cwd,
          prepared.priority,
          prepared.timeoutSeconds,
          // Only when set, so digests of requests from before the option stay as they were.
          ...(prepared.openStdin ? ['openStdin'] : []),
        ]),
      )
      .digest('hex');
    const keyId = caller.kind === 'key' ? caller.keyId : null;
    if (prepared.idempotencyKey) {
      const existing = await this.replay(keyId, prepared.idempotencyKey, requestHash);
      if (existing) return existing;
    }
    let command: Command;
    try {
      command = await this.deps.unitOfWork.run(async ({ commands, commandInput, audit, webhooks }) => {
        const c = await commands.insert({ ...prepared, requestHash, requestedByKeyId: keyId });
        if (initialInput) await commandInput.append(c.id, initialInput, false);
        await audit.record({
          ...auditActor(caller),
          action: 'command.run',
          targetType: 'Command',
          targetId: c.id,
          outcome: 'SUCCESS',
          details: {
            projectName: project.name,
            type: c.type,
            argv: redactArgv(c.argv),
            envNames: c.envNames,
            cwd: c.cwd,
            priority: c.priority,
            timeoutSeconds: c.timeoutSeconds,
            promptBytes: prepared.prompt === null ? null : Buffer.byteLength(prepared.prompt),
            ...(prepared.openStdin ? { openStdin: true } : {}),
          },
        });
        await webhooks.enqueue({
          type: 'command.queued',
          projectName: c.projectName,
          data: commandWebhookData(c),
        });
        return c;
      });
    } catch (error) {
      // Two requests with one idempotency key raced: the loser answers with the winner's command.
      if (prepared.idempotencyKey && error instanceof IdempotencyKeyTakenError) {
        const existing = await this.replay(keyId, prepared.idempotencyKey, requestHash);
        if (existing) return existing;
      }
      throw error;
    }
    this.deps.onQueued?.(command);
    // The dispatcher first: its claim is what the caller waits for.
    await this.deps.bus.publish('dispatch', { projectName: command.projectName });
    await this.deps.bus.publish('command_status', { commandId: command.id });
    return command;
  }

  private async replay(
    keyId: string | null,
    idempotencyKey: string,
    requestHash: string,
  ): Promise<Command | null> {
    const existing = await this.deps.store.findByIdempotencyKey(keyId, idempotencyKey);
    if (!existing) return null;
    if (existing.requestHash !== requestHash) {
      throw new ConflictError(
        `The idempotency key "${idempotencyKey}" was already used for a different request; use a new key for a new command.`,
        { idempotencyKey, commandId: existing.id },
      );
    }
    const { requestHash: _omit, ...command } = existing;
    return command;
  }
}
