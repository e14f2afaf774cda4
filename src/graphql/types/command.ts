import { wrapErrorIfMatches } from '@pothos/plugin-errors';
import type { ClaudeSession } from '../../domain/command.js';
import {
  COMMAND_STATUSES,
  type Command,
  type CommandEnd,
  OUTPUT_STREAMS,
  type OutputEvent,
} from '../../domain/command.js';
import {
  CommandNotAllowedError,
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  RuntimeUnavailableError,
  ValidationError,
} from '../../domain/errors.js';
import { builder } from '../builder.js';
import { pageArgs, toConnection } from '../connection.js';
import { localId } from '../global-id.js';
import { outputBytes } from '../output-budget.js';
import { ApiKeyRef } from './api-key.js';
import { CommandTypeEnum } from './command-type.js';
import { ProjectRef } from './project.js';

export const CommandStatusEnum = builder.enumType('CommandStatus', { values: COMMAND_STATUSES });
const OutputStreamEnum = builder.enumType('OutputStream', { values: OUTPUT_STREAMS });

const CommandEndRef = builder.objectRef<CommandEnd>('CommandEnd').implement({
  description: 'How a command ended: set on its final output event only.',
  fields: (t) => ({
    status: t.field({ type: CommandStatusEnum, resolve: (e) => e.status }),
    exitCode: t.exposeInt('exitCode', { nullable: true }),
    signal: t.exposeString('signal', { nullable: true }),
    error: t.exposeString('error', { nullable: true }),
  }),
});

export const CommandOutputEventRef = builder.objectRef<OutputEvent>('CommandOutputEvent').implement({
  description:
    "One piece of a command's output. `seq` numbers events from 1 without gaps: resume with `after: <last seq seen>`.",
  fields: (t) => ({
    seq: t.exposeInt('seq'),
    stream: t.field({ type: OutputStreamEnum, resolve: (e) => e.stream }),
    data: t.exposeString('data', { description: 'Text; pieces never split a UTF-8 character.' }),
    at: t.expose('at', { type: 'DateTime' }),
    claude: t.field({
      type: 'JSON',
      nullable: true,
      description: 'CLAUDE commands: the parsed stream-json message this line carried.',
      resolve: (e) => e.claude ?? null,
    }),
    end: t.field({ type: CommandEndRef, nullable: true, resolve: (e) => e.end }),
  }),
});

const ClaudeSessionRef = builder.objectRef<ClaudeSession>('ClaudeSession').implement({
  fields: (t) => ({
    sessionId: t.exposeString('sessionId', {
      nullable: true,
      description: 'Pass as `resumeSessionId` to continue.',
    }),
    model: t.exposeString('model', { nullable: true }),
    costUsd: t.exposeFloat('costUsd', { nullable: true }),
    numTurns: t.exposeInt('numTurns', { nullable: true }),
    durationMs: t.exposeInt('durationMs', { nullable: true }),
    usage: t.field({ type: 'JSON', nullable: true, resolve: (s) => s.usage }),
    resultSubtype: t.exposeString('resultSubtype', { nullable: true }),
    isError: t.exposeBoolean('isError', { nullable: true }),
  }),
});

export const CommandRef = builder.objectRef<Command>('Command');

builder.node(CommandRef, {
  id: { resolve: (c) => c.id },
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'argv' in value && 'lastSeq' in value,
  loadOne: async (id, ctx) => {
    try {
      return await ctx.services.commands.get(ctx.principal, id);
    } catch (error) {
      if (error instanceof DomainError) return null;
      throw error;
    }
  },
  fields: (t) => ({
    project: t.field({
      type: ProjectRef,
      nullable: true,
      description: 'Null when the project no longer exists.',
      resolve: (c, _args, ctx) => ctx.services.projects.find(ctx.principal, c.projectName),
    }),
    projectName: t.exposeString('projectName'),
    type: t.field({ type: CommandTypeEnum, resolve: (c) => c.type }),
    status: t.field({ type: CommandStatusEnum, resolve: (c) => c.status }),
    priority: t.exposeInt('priority'),
    queuePosition: t.int({
      nullable: true,
      description: "1-based place in its project's queue while QUEUED.",
      resolve: (c, _args, ctx) => ctx.services.commands.queuePosition(c),
    }),
    argv: t.exposeStringList('argv'),
    prompt: t.exposeString('prompt', { nullable: true }),
    cwd: t.exposeString('cwd', { nullable: true }),
    envNames: t.exposeStringList('envNames', {
      description: 'Names of the extra environment variables; values are never shown.',
    }),
    timeoutSeconds: t.exposeInt('timeoutSeconds'),
    exitCode: t.exposeInt('exitCode', { nullable: true }),
    signal: t.exposeString('signal', { nullable: true }),
    error: t.exposeString('error', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    requestedBy: t.field({
      type: ApiKeyRef,
      nullable: true,
      resolve: (c, _args, ctx) =>
        c.requestedByKeyId && ctx.principal
          ? ctx.services.apiKeys.get(ctx.principal, c.requestedByKeyId).catch(() => null)
          : null,
    }),
    idempotencyKey: t.exposeString('idempotencyKey', { nullable: true }),
    lastSeq: t.exposeInt('lastSeq', {
      description: 'The seq of the newest stored output event (0 when none).',
    }),
    outputTruncated: t.exposeBoolean('outputTruncated'),
    output: t.field({
      type: [CommandOutputEventRef],
      args: {
        after: t.arg.int({ required: false, defaultValue: 0 }),
        first: t.arg.int({ required: false, defaultValue: 100 }),
      },
      resolve: async (c, args, ctx, info) => {
        const first = args.first ?? 100;
        if (first < 0 || first > 1000)
          throw new ValidationError([{ path: 'first', message: 'must be between 0 and 1000' }]);
        const events = await ctx.services.commands.output(ctx.principal, c.id, args.after ?? 0, first);
        ctx.outputBudget.take(info.rootValue, outputBytes(events, info));
        return events;
      },
    }),
    claudeSession: t.field({ type: ClaudeSessionRef, nullable: true, resolve: (c) => c.claudeSession }),
  }),
});

export const CommandConnection = builder.connectionObject({ type: CommandRef, name: 'CommandConnection' });

export const CommandFilter = builder.inputType('CommandFilter', {
  fields: (t) => ({
    projectName: t.string({ required: false }),
    statuses: t.field({ type: [CommandStatusEnum], required: false }),
    types: t.field({ type: [CommandTypeEnum], required: false }),
  }),
});

builder.queryField('command', (t) =>
  t.field({
    type: CommandRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      ctx.services.commands.get(ctx.principal, localId(String(args.id), 'Command')).catch((e) => {
        if (e instanceof NotFoundError) return null;
        throw e;
      }),
  }),
);

builder.queryField('commands', (t) =>
  t.field({
    type: CommandConnection,
    args: {
      first: t.arg.int({ required: false }),
      after: t.arg.string({ required: false }),
      filter: t.arg({ type: CommandFilter, required: false }),
    },
    resolve: async (_root, args, ctx) => {
      const page = pageArgs(args);
      return toConnection(
        await ctx.services.commands.list(ctx.principal, args.filter ?? {}, page),
        page.after,
      );
    },
  }),
);

builder.objectFields(ProjectRef, (t) => ({
  commands: t.field({
    type: CommandConnection,
    args: {
      first: t.arg.int({ required: false }),
      after: t.arg.string({ required: false }),
      filter: t.arg({ type: CommandFilter, required: false }),
    },
    resolve: async (project, args, ctx) => {
      const page = pageArgs(args);
      const result = await ctx.services.commands.list(
        ctx.principal,
        { ...(args.filter ?? {}), projectName: project.name },
        page,
      );
      return toConnection(result, page.after);
    },
  }),
  runningCommands: t.int({
    resolve: async (project, _args, ctx) =>
      (await ctx.services.commands.queueCounts(ctx.principal)).find((q) => q.projectName === project.name)
        ?.running ?? 0,
  }),
  queuedCommands: t.int({
    resolve: async (project, _args, ctx) =>
      (await ctx.services.commands.queueCounts(ctx.principal)).find((q) => q.projectName === project.name)
        ?.queued ?? 0,
  }),
}));

interface ProjectQueue {
  projectName: string;
  queued: number;
  running: number;
  oldestQueuedAt: Date | null;
}

const ProjectQueueStatsRef = builder.objectRef<ProjectQueue>('ProjectQueueStats').implement({
  fields: (t) => ({
    projectName: t.exposeString('projectName'),
    queued: t.exposeInt('queued'),
    running: t.exposeInt('running'),
    oldestQueuedAt: t.expose('oldestQueuedAt', { type: 'DateTime', nullable: true }),
  }),
});

const QueueStatsRef = builder.objectRef<ProjectQueue[]>('QueueStats').implement({
  description: 'Queued and running commands, in total and per project, over the projects the key may see.',
  fields: (t) => ({
    queued: t.int({ resolve: (qs) => qs.reduce((n, q) => n + q.queued, 0) }),
    running: t.int({ resolve: (qs) => qs.reduce((n, q) => n + q.running, 0) }),
    oldestQueuedAt: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: (qs) =>
        qs
          .map((q) => q.oldestQueuedAt)
          .filter((d): d is Date => d !== null)
          .sort((a, b) => a.getTime() - b.getTime())[0] ?? null,
    }),
    projects: t.field({ type: [ProjectQueueStatsRef], resolve: (qs) => qs }),
  }),
});

builder.queryField('queue', (t) =>
  t.field({
    type: QueueStatsRef,
    resolve: (_root, _args, ctx) => ctx.services.commands.queueCounts(ctx.principal),
  }),
);

const RunCommandPayload = builder.objectRef<{ command: Command }>('RunCommandPayload').implement({
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'command' in value,
  fields: (t) => ({ command: t.field({ type: CommandRef, resolve: (p) => p.command }) }),
});
const CancelCommandPayload = builder.objectRef<{ command: Command }>('CancelCommandPayload').implement({
  fields: (t) => ({ command: t.field({ type: CommandRef, resolve: (p) => p.command }) }),
});

const RunClaudeInput = builder.inputType('RunClaudeInput', {
  fields: (t) => ({
    projectName: t.string({ required: true }),
    prompt: t.string({ required: true, description: 'Sent to the CLI on stdin.' }),
    priority: t.int({ required: false, description: '0–100, default 50; higher runs first.' }),
    idempotencyKey: t.string({
      required: false,
      description: 'Retrying with the same key and input returns the same command.',
    }),
    timeoutSeconds: t.int({ required: false }),
    resumeSessionId: t.string({ required: false, description: 'A session id (UUID) from an earlier run.' }),
    maxTurns: t.int({ required: false }),
    allowedTools: t.stringList({ required: false }),
    model: t.string({ required: false }),
  }),
});
const RunShellInput = builder.inputType('RunShellInput', {
  fields: (t) => ({
    projectName: t.string({ required: true }),
    argv: t.stringList({
      required: false,
      description: 'The program and its arguments, never passed through a shell.',
    }),
    script: t.string({
      required: false,
      description: 'Run as `sh -c script`. Exactly one of argv and script.',
    }),
    priority: t.int({ required: false }),
    idempotencyKey: t.string({ required: false }),
    timeoutSeconds: t.int({ required: false }),
    env: t.field({
      type: 'JSON',
      required: false,
      description: 'Extra environment variables: an object of strings.',
    }),
    cwd: t.string({ required: false, description: 'Relative to the workspace.' }),
  }),
});
const RunGitInput = builder.inputType('RunGitInput', {
  fields: (t) => ({
    projectName: t.string({ required: true }),
    args: t.stringList({
      required: true,
      description: 'Arguments after `git`: an allowed subcommand and its options.',
    }),
    priority: t.int({ required: false }),
    idempotencyKey: t.string({ required: false }),
    timeoutSeconds: t.int({ required: false }),
  }),
});
const CancelCommandInput = builder.inputType('CancelCommandInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

const runErrors = [
  ValidationError,
  NotFoundError,
  ForbiddenError,
  CommandNotAllowedError,
  ConflictError,
  PreconditionFailedError,
  RuntimeUnavailableError,
];

// One union shared by runClaude, runShell and runGit (the errors plugin would make one per field).
const RunCommandResult = builder.unionType('RunCommandResult', { types: [RunCommandPayload, ...runErrors] });

async function runResult(run: () => Promise<Command>): Promise<{ command: Command } | DomainError> {
  try {
    return { command: await run() };
  } catch (error) {
    // Wrapped the way the errors plugin wraps its own: graphql-js would raise a plain Error
    // returned from a resolver as a top-level error instead of resolving the union member.
    const wrapped = wrapErrorIfMatches(error, runErrors);
    if (wrapped !== error) return wrapped as DomainError;
    throw error;
  }
}

builder.mutationField('runClaude', (t) =>
  t.field({
    type: RunCommandResult,
    args: { input: t.arg({ type: RunClaudeInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      runResult(() => ctx.services.commands.runClaude(ctx.principal, input)),
  }),
);

builder.mutationField('runShell', (t) =>
  t.field({
    type: RunCommandResult,
    args: { input: t.arg({ type: RunShellInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      runResult(() => {
        const env = input.env;
        if (env !== undefined && env !== null && (typeof env !== 'object' || Array.isArray(env))) {
          throw new ValidationError([{ path: 'env', message: 'must be an object of strings' }]);
        }
        return ctx.services.commands.runShell(ctx.principal, {
          ...input,
          env: env as Record<string, string> | null,
        });
      }),
  }),
);

builder.mutationField('runGit', (t) =>
  t.field({
    type: RunCommandResult,
    args: { input: t.arg({ type: RunGitInput, required: true }) },
    resolve: (_root, { input }, ctx) => runResult(() => ctx.services.commands.runGit(ctx.principal, input)),
  }),
);

builder.mutationField('cancelCommand', (t) =>
  t.field({
    type: CancelCommandPayload,
    args: { input: t.arg({ type: CancelCommandInput, required: true }) },
    errors: {
      types: [NotFoundError, ForbiddenError, ValidationError],
      directResult: true,
      union: { name: 'CancelCommandResult' },
    },
    resolve: async (_root, { input }, ctx) => ({
      command: await ctx.services.commands.cancel(ctx.principal, localId(String(input.id), 'Command')),
    }),
  }),
);

builder.subscriptionField('commandOutput', (t) =>
  t.field({
    type: CommandOutputEventRef,
    description:
      'Stored output after `after` (default 0: from the start), then live output, ending with the event whose `end` is set.',
    args: { commandId: t.arg.id({ required: true }), after: t.arg.int({ required: false }) },
    authScopes: { scope: 'commands:read' },
    subscribe: async (_root, args, ctx) => {
      const id = localId(String(args.commandId), 'Command');
      // Authorised before the first event: an unknown or hidden command fails at once.
      return ctx.services.commands.followOutput(ctx.principal, id, args.after ?? 0);
    },
    resolve: (event: OutputEvent) => event,
  }),
);

builder.subscriptionField('commandUpdated', (t) =>
  t.field({
    type: CommandRef,
    description: 'Status changes of one command, of one project, or of every command the key may see.',
    args: { commandId: t.arg.id({ required: false }), projectName: t.arg.string({ required: false }) },
    authScopes: { scope: 'commands:read' },
    subscribe: async (_root, args, ctx) => {
      const commandId = args.commandId ? localId(String(args.commandId), 'Command') : null;
      return ctx.services.commands.followUpdates(ctx.principal, { commandId, projectName: args.projectName });
    },
    resolve: (command: Command) => command,
  }),
);
