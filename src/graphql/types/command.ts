import type { ClaudeSession, Command } from '../../domain/command.js';
import { DomainError, NotFoundError, ValidationError } from '../../domain/errors.js';
import { builder } from '../builder.js';
import { pageArgs, toConnection } from '../connection.js';
import { localId } from '../global-id.js';
import { outputBytes } from '../output-budget.js';
import { ApiKeyRef } from './api-key.js';
import { CommandOutputEventRef, CommandStatusEnum } from './command-output.js';
import { CommandTypeEnum } from './command-type.js';
import { ProjectRef } from './project.js';

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
        const events = await ctx.services.commandOutput.output(ctx.principal, c.id, args.after ?? 0, first);
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

builder.subscriptionField('commandUpdated', (t) =>
  t.field({
    type: CommandRef,
    description: 'Status changes of one command, of one project, or of every command the key may see.',
    args: { commandId: t.arg.id({ required: false }), projectName: t.arg.string({ required: false }) },
    authScopes: { scope: 'commands:read' },
    subscribe: async (_root, args, ctx) => {
      const commandId = args.commandId ? localId(String(args.commandId), 'Command') : null;
      return ctx.services.commandOutput.followUpdates(ctx.principal, {
        commandId,
        projectName: args.projectName,
      });
    },
    resolve: (command: Command) => command,
  }),
);
