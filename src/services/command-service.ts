import { createHash } from 'node:crypto';
import { z } from 'zod';
import { redactArgv } from '../domain/argv-redaction.js';
import { auditActor } from '../domain/audit.js';
import {
  canAccessProject,
  requireProjectAccess,
  requireScope,
  visibleProjects,
} from '../domain/authorization.js';
import { claudeArgv, claudePromptIssues } from '../domain/claude-argv.js';
import {
  type Command,
  type CommandEnd,
  type CommandStatus,
  DEFAULT_PRIORITY,
  isTerminal,
  MAX_PRIORITY,
  MIN_PRIORITY,
  type OutputEvent,
} from '../domain/command.js';
import {
  CommandNotAllowedError,
  ConflictError,
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
import { shellArgv, spacedArgvMessage } from '../domain/shell-argv.js';
import type { CommandStore, QueueCounts } from '../ports/command-store.js';
import type { EventBus } from '../ports/event-bus.js';
import type { UnitOfWork } from '../ports/unit-of-work.js';
import type { WorkspaceRuntime } from '../ports/workspace-runtime.js';
import type { Clock } from './clock.js';
import { SharedReads } from './shared-reads.js';
import { itemsOfPages, napUntilWoken, stoppableStream } from './stoppable-stream.js';
import { parseInput } from './validation.js';
import { workspaceTarget } from './workspace-target.js';

const SYSTEM = systemPrincipal('commands');

/**
 * Events per page a subscriber reads from the store, and the data bytes a page stops at. The byte
 * budget bounds what a reader holds; the event count only matters for short lines, where larger
 * pages mean fewer round trips (a legacy SSE replay of 100,000 short events ran a fifth faster
 * with 2,000 per page than with 500).
 */
const OUTPUT_PAGE_EVENTS = 2000;
export const OUTPUT_PAGE_BYTES = 256 * 1024;

export interface CommandLimits {
  timeoutDefaultSeconds: number;
  timeoutMaxSeconds: number;
  promptMaxBytes: number;
  queueAgingSeconds: number;
  cancelGraceSeconds: number;
}

/** Finding a project for a caller: the project service (grants applied), or null. */
export interface ProjectLookup {
  find(principal: Principal | null, name: string): Promise<Project | null>;
}

export interface CommandServiceDeps {
  store: CommandStore;
  unitOfWork: UnitOfWork;
  projects: ProjectLookup;
  runtime: WorkspaceRuntime;
  bus: EventBus;
  clock: Clock;
  limits: CommandLimits;
  onQueued?(command: Command): void;
  /** Called once per command when it reaches its terminal status, however it got there. */
  onFinished?(command: Command): void;
}

const common = (limits: CommandLimits) => ({
  projectName: z.string().min(1, 'must not be empty').max(63),
  priority: z.number().int().min(MIN_PRIORITY).max(MAX_PRIORITY).nullish(),
  idempotencyKey: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .nullish(),
  timeoutSeconds: z
    .number()
    .int()
    .min(1, 'must be at least 1 second')
    .max(limits.timeoutMaxSeconds, `must be at most ${limits.timeoutMaxSeconds} seconds`)
    .nullish(),
});

const claudeSchema = (limits: CommandLimits) =>
  z.object({
    ...common(limits),
    prompt: z.string(),
    resumeSessionId: z.string().nullish(),
    maxTurns: z.number().int().nullish(),
    allowedTools: z.array(z.string()).nullish(),
    model: z.string().nullish(),
  });
const shellSchema = (limits: CommandLimits) =>
  z.object({
    ...common(limits),
    argv: z
      .array(z.string())
      .nullish()
      .superRefine((argv, ctx) => {
        const message = spacedArgvMessage(argv);
        if (message) ctx.addIssue({ code: 'custom', message });
      }),
    script: z.string().nullish(),
    env: z.record(z.string(), z.string({ message: 'environment values must be strings' })).nullish(),
    cwd: z.string().max(4096).nullish(),
  });
const gitSchema = (limits: CommandLimits) => z.object({ ...common(limits), args: z.array(z.string()) });

export type RunClaudeInput = z.input<ReturnType<typeof claudeSchema>>;
export type RunShellInput = z.input<ReturnType<typeof shellSchema>>;
export type RunGitInput = z.input<ReturnType<typeof gitSchema>>;

export interface CommandListFilter {
  projectName?: string | null;
  statuses?: CommandStatus[] | null;
  types?: CommandType[] | null;
}

interface Prepared {
  type: CommandType;
  projectName: string;
  priority: number;
  argv: string[];
  prompt: string | null;
  stdin: Uint8Array | null;
  env: Record<string, string>;
  cwd: string | null;
  timeoutSeconds: number;
  claude: Command['claude'];
  idempotencyKey: string | null;
}

/**
 * Running, reading and cancelling commands. Every method checks the caller first: the scope of
 * the command type, the key's project grant, then the project's own policy.
 */
export class CommandService {
  /** Subscribers of one command woken together read its output and status once between them. */
  private readonly outputReads = new SharedReads<OutputEvent[]>();
  private readonly commandReads = new SharedReads<Command | null>();

  constructor(private readonly deps: CommandServiceDeps) {}

  async runClaude(caller: Principal | null, input: RunClaudeInput): Promise<Command> {
    requireScope(caller, 'commands:run:claude');
    const data = parseInput(claudeSchema(this.deps.limits), input);
    const issues = claudePromptIssues(data.prompt, this.deps.limits.promptMaxBytes);
    if (issues.length > 0) throw new ValidationError(issues);
    const claude = {
      resumeSessionId: data.resumeSessionId ?? null,
      maxTurns: data.maxTurns ?? null,
      allowedTools: data.allowedTools ?? null,
      model: data.model ?? null,
    };
    const argv = claudeArgv(claude);
    const project = await this.projectFor(caller, data.projectName, 'CLAUDE');
    return this.enqueue(caller, project, {
      ...this.commonFields(data),
      type: 'CLAUDE',
      projectName: project.name,
      argv,
      prompt: data.prompt,
      stdin: new TextEncoder().encode(data.prompt),
      env: {},
      cwd: null,
      claude,
    });
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
    const command = await this.visible(caller, id);
    if (isTerminal(command.status)) return command;
    const now = this.deps.clock();
    if (command.status === 'QUEUED') {
      const finished = await this.finish(caller, command.id, {
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
      await this.deps.bus.publish('command_status', command.id);
      const project = await this.deps.projects.find(SYSTEM, command.projectName).catch(() => null);
      if (project) {
        void this.deps.runtime
          .stop(workspaceTarget(project), command.id, this.deps.limits.cancelGraceSeconds)
          .catch(() => {});
      }
    }
    return (await this.deps.store.get(command.id)) ?? command;
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
    await this.deps.bus.publish('command_output', `${id}:${result.endSeq}`);
    await this.deps.bus.publish('command_status', id);
    await this.deps.bus.publish('dispatch', result.command.projectName);
    return result.command;
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

  async output(caller: Principal | null, id: string, after: number, first: number): Promise<OutputEvent[]> {
    const command = await this.visible(caller, id);
    return this.deps.store.readOutput(command.id, after, first);
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

  /**
   * The command's output after `after`: stored events first, then live ones as they are stored,
   * ending with the end event (at once when the cursor is already past it). Authorised before it
   * resolves, so an unknown or hidden command fails before the first event. Pull-based: a slow
   * reader holds at most one page (about {@link OUTPUT_PAGE_BYTES}) in memory, and `return()`
   * (or `signal`) ends it at once, even while it waits for output.
   */
  async followOutput(
    caller: Principal | null,
    id: string,
    after: number,
    signal?: AbortSignal,
  ): Promise<AsyncIterableIterator<OutputEvent>> {
    return itemsOfPages(await this.followOutputPages(caller, id, after, signal));
  }

  /**
   * {@link followOutput} a page at a time, for a transport that writes a page at once: each page
   * is a non-empty run of consecutive events, the end event last in the last page. Pages may be
   * shared with other readers and must not be changed.
   */
  async followOutputPages(
    caller: Principal | null,
    id: string,
    after: number,
    signal?: AbortSignal,
  ): Promise<AsyncIterableIterator<readonly OutputEvent[]>> {
    const command = await this.visible(caller, id);
    return stoppableStream((stopped) => this.pagesAfter(command, Math.max(0, after), stopped), signal);
  }

  private async *pagesAfter(command: Command, after: number, stopped: AbortSignal) {
    const { store, bus } = this.deps;
    let cursor = after;
    let nap: { wake(): void } | null = null;
    let pending = true;
    let endChecked = false;
    // Output reads already in flight when this reader learnt of newer output are not shared with it.
    let fresh = 0;
    const notify = () => {
      pending = true;
      fresh = this.outputReads.mark();
      nap?.wake();
    };
    const unsubscribe = bus.subscribe('command_output', (payload) => {
      if (payload.startsWith(`${command.id}:`)) notify();
    });
    const unReconnect = bus.onReconnect(notify);
    try {
      while (!stopped.aborted) {
        pending = false;
        const events = await this.outputReads.read(
          `${command.id}:${cursor}`,
          () => store.readOutput(command.id, cursor, OUTPUT_PAGE_EVENTS, OUTPUT_PAGE_BYTES),
          fresh,
        );
        const end = events.findIndex((e) => e.end);
        if (end >= 0) {
          yield end === events.length - 1 ? events : events.slice(0, end + 1);
          return;
        }
        if (events.length > 0) {
          yield events;
          cursor = events[events.length - 1]!.seq;
        }
        if (events.length > 0 || pending) continue;
        const now = await this.commandReads.read(command.id, () => store.get(command.id));
        if (!now) return;
        if (isTerminal(now.status)) {
          // The end event commits with the status: one more read finds it, unless the cursor is
          // already past it (or retention removed the output).
          if (now.lastSeq <= cursor || endChecked) return;
          endChecked = true;
          // That read must see the end: a shared one that started before this status read might
          // not, and the reader would stop short of the end.
          fresh = this.outputReads.mark();
          continue;
        }
        // Wait for a notification; re-read now and then anyway, in case one was lost.
        const waiting = napUntilWoken(2_000, stopped);
        nap = waiting;
        if (!pending) await waiting.done;
        nap = null;
      }
    } finally {
      unsubscribe();
      unReconnect();
    }
  }

  /**
   * Status changes of commands the caller may see, optionally of one command (its current state
   * first, ending after its final status) or of one project. Authorised before it resolves;
   * `return()` (or `signal`) ends it at once.
   */
  async followUpdates(
    caller: Principal | null,
    filter: { commandId?: string | null; projectName?: string | null },
    signal?: AbortSignal,
  ): Promise<AsyncIterableIterator<Command>> {
    requireScope(caller, 'commands:read');
    if (filter.commandId) await this.visible(caller, filter.commandId);
    if (filter.projectName) requireProjectAccess(caller, filter.projectName);
    return stoppableStream((stopped) => this.updates(caller, filter, stopped), signal);
  }

  private async *updates(
    caller: Principal,
    filter: { commandId?: string | null; projectName?: string | null },
    stopped: AbortSignal,
  ) {
    // One command's subscriber gets its current state first: it cannot miss a change that
    // happened between reading the command and subscribing, and an ended one completes at once.
    const queue: string[] = filter.commandId ? [filter.commandId] : [];
    let nap: { wake(): void } | null = null;
    const unsubscribe = this.deps.bus.subscribe('command_status', (id) => {
      if (filter.commandId && id !== filter.commandId) return;
      // Ids only, deduplicated: a subscriber that falls behind reads each command's latest state once.
      if (queue.length < 1000 && !queue.includes(id)) queue.push(id);
      nap?.wake();
    });
    try {
      while (!stopped.aborted) {
        const id = queue.shift();
        if (id === undefined) {
          const waiting = napUntilWoken(60_000, stopped);
          nap = waiting;
          await waiting.done;
          nap = null;
          continue;
        }
        const command = await this.deps.store.get(id);
        if (!command || !canAccessProject(caller, command.projectName)) continue;
        if (filter.projectName && command.projectName !== filter.projectName) continue;
        yield command;
        if (filter.commandId && isTerminal(command.status)) return;
      }
    } finally {
      unsubscribe();
    }
  }

  private async visible(caller: Principal | null, id: string): Promise<Command> {
    requireScope(caller, 'commands:read');
    const command = await this.deps.store.get(id);
    if (!command || !canAccessProject(caller, command.projectName)) throw new NotFoundError('Command', id);
    return command;
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

  private async enqueue(caller: Principal, project: Project, prepared: Prepared): Promise<Command> {
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
      command = await this.deps.unitOfWork.run(async ({ commands, audit, webhooks }) => {
        const c = await commands.insert({ ...prepared, requestHash, requestedByKeyId: keyId });
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
      if (prepared.idempotencyKey && isUniqueViolation(error)) {
        const existing = await this.replay(keyId, prepared.idempotencyKey, requestHash);
        if (existing) return existing;
      }
      throw error;
    }
    this.deps.onQueued?.(command);
    // The dispatcher first: its claim is what the caller waits for.
    await this.deps.bus.publish('dispatch', command.projectName);
    await this.deps.bus.publish('command_status', command.id);
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

/** What webhook receivers learn about a command: never its environment or stdin. */
export function commandWebhookData(c: Command): Record<string, unknown> {
  return {
    id: c.id,
    projectName: c.projectName,
    type: c.type,
    status: c.status,
    priority: c.priority,
    exitCode: c.exitCode,
    signal: c.signal,
    error: c.error,
    createdAt: c.createdAt.toISOString(),
    startedAt: c.startedAt?.toISOString() ?? null,
    finishedAt: c.finishedAt?.toISOString() ?? null,
  };
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === '23505';
}
