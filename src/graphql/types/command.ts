import { acceptsInput, type ClaudeSession, type Command } from '../../domain/command.js';
import { DomainError, NotFoundError, ValidationError } from '../../domain/errors.js';
import { localId } from '../../domain/global-id.js';
import { builder } from '../builder.js';
import { pageArgs, toConnection } from '../connection.js';
import { outputBytes } from '../output-budget.js';
import { ApiKeyRef } from './api-key.js';
import { CommandOutputEventRef, CommandStatusEnum } from './command-output.js';
import { CommandTypeEnum } from './command-type.js';
import { ProjectRef } from './project.js';

const ClaudeSessionRef = builder.objectRef<ClaudeSession>('ClaudeSession').implement({
  description: 'What the Claude Code CLI reported about a CLAUDE run, from its final result message.',
  fields: (t) => ({
    sessionId: t.exposeString('sessionId', {
      nullable: true,
      description: 'The CLI session id; pass it as `resumeSessionId` to continue the conversation.',
    }),
    model: t.exposeString('model', { nullable: true, description: 'The model that answered.' }),
    costUsd: t.exposeFloat('costUsd', {
      nullable: true,
      description: 'Cost of the run in US dollars, as the CLI reported it.',
    }),
    numTurns: t.exposeInt('numTurns', { nullable: true, description: 'Agent turns taken.' }),
    durationMs: t.exposeInt('durationMs', {
      nullable: true,
      description: 'Run time in milliseconds, as the CLI reported it.',
    }),
    usage: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Token usage, as the CLI reported it.',
      resolve: (s) => s.usage,
    }),
    resultSubtype: t.exposeString('resultSubtype', {
      nullable: true,
      description: 'The subtype of the result message, e.g. `success` or `error_max_turns`.',
    }),
    isError: t.exposeBoolean('isError', {
      nullable: true,
      description: 'True when the CLI reported the run as failed.',
    }),
  }),
});

export const CommandRef = builder.objectRef<Command>('Command');

builder.node(CommandRef, {
  description: 'One run of claude, a shell program or git in a project workspace, and its output.',
  id: { resolve: (c) => c.id, description: 'Global id; resolve it with `node(id:)` or `command(id:)`.' },
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
    uuid: t.exposeString('id', {
      description:
        'The plain id of the command, as webhook payloads, audit rows and the legacy REST routes show it. Arguments of type ID take it as well as the global `id`.',
    }),
    project: t.field({
      type: ProjectRef,
      nullable: true,
      description: 'Null when the project no longer exists.',
      resolve: (c, _args, ctx) => ctx.services.projects.find(ctx.principal, c.projectName),
    }),
    projectName: t.exposeString('projectName', { description: 'The name of the project it runs in.' }),
    type: t.field({ type: CommandTypeEnum, description: 'What it runs.', resolve: (c) => c.type }),
    status: t.field({
      type: CommandStatusEnum,
      description: 'Where it is in its life.',
      resolve: (c) => c.status,
    }),
    priority: t.exposeInt('priority', { description: '0–100; higher runs first.' }),
    queuePosition: t.int({
      nullable: true,
      description: "1-based place in its project's queue while QUEUED.",
      resolve: (c, _args, ctx) => ctx.services.commands.queuePosition(c),
    }),
    argv: t.exposeStringList('argv', { description: 'The program and arguments actually run.' }),
    prompt: t.exposeString('prompt', { nullable: true, description: 'CLAUDE commands: the prompt.' }),
    cwd: t.exposeString('cwd', {
      nullable: true,
      description: 'Working directory relative to the workspace; null for the workspace root.',
    }),
    envNames: t.exposeStringList('envNames', {
      description: 'Names of the extra environment variables; values are never shown.',
    }),
    timeoutSeconds: t.exposeInt('timeoutSeconds', {
      description: 'Past this many seconds it is stopped and ends TIMED_OUT.',
    }),
    exitCode: t.exposeInt('exitCode', {
      nullable: true,
      description: 'The exit code once ended; null while running or when killed by a signal.',
    }),
    signal: t.exposeString('signal', {
      nullable: true,
      description: 'The signal that ended the process, if any.',
    }),
    error: t.exposeString('error', {
      nullable: true,
      description: 'Why rdev could not run or finish it, if it could not.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was queued.' }),
    startedAt: t.expose('startedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it started running; null while QUEUED.',
    }),
    finishedAt: t.expose('finishedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it ended; null until then.',
    }),
    requestedBy: t.field({
      type: ApiKeyRef,
      nullable: true,
      description: 'The API key that started it; null for the system or a key you may not see.',
      resolve: (c, _args, ctx) =>
        c.requestedByKeyId && ctx.principal
          ? ctx.services.apiKeys.get(ctx.principal, c.requestedByKeyId).catch(() => null)
          : null,
    }),
    idempotencyKey: t.exposeString('idempotencyKey', {
      nullable: true,
      description: 'The idempotency key it was started with, if any.',
    }),
    lastSeq: t.exposeInt('lastSeq', {
      description: 'The seq of the newest stored output event (0 when none).',
    }),
    outputTruncated: t.exposeBoolean('outputTruncated', {
      description:
        'True when the output outgrew the stored limit: later output was dropped, the command ran on and its end is still reported.',
    }),
    stdinOpen: t.boolean({
      description:
        'True while the command takes input through `sendCommandInput`: it was started with `openStdin`, has not ended, and no `eof` was sent. Input sent while it is QUEUED is delivered once it starts.',
      resolve: (c) => acceptsInput(c),
    }),
    output: t.field({
      type: [CommandOutputEventRef],
      description:
        'Stored output events in `seq` order. An answer carrying more output than `RDEV_GRAPHQL_MAX_OUTPUT_BYTES` is RESPONSE_TOO_LARGE: ask for fewer with `first` and page with `after`.',
      args: {
        after: t.arg.int({
          required: false,
          defaultValue: 0,
          description: 'Events with a `seq` above this one.',
        }),
        first: t.arg.int({
          required: false,
          defaultValue: 100,
          description: 'At most this many events: 0 to 1000, else VALIDATION_FAILED.',
        }),
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
    claudeSession: t.field({
      type: ClaudeSessionRef,
      nullable: true,
      description: 'CLAUDE commands: what the CLI reported, once it has.',
      resolve: (c) => c.claudeSession,
    }),
  }),
});

export const CommandConnection = builder.connectionObject({ type: CommandRef, name: 'CommandConnection' });

export const CommandFilter = builder.inputType('CommandFilter', {
  description: 'Narrows a command list; the conditions all apply.',
  fields: (t) => ({
    projectName: t.string({ required: false, description: 'Only commands of this project.' }),
    statuses: t.field({
      type: [CommandStatusEnum],
      required: false,
      description: 'Only commands in one of these statuses.',
    }),
    types: t.field({
      type: [CommandTypeEnum],
      required: false,
      description: 'Only commands of one of these types.',
    }),
  }),
});

builder.queryField('command', (t) =>
  t.field({
    type: CommandRef,
    nullable: true,
    description:
      'One command by global id or plain UUID; null when it does not exist or the key may not see it.',
    args: { id: t.arg.id({ required: true, description: 'The command: its global id or its plain UUID.' }) },
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
    description: 'Commands the key may see.',
    args: {
      first: t.arg.int({
        required: false,
        description: 'How many items to return: 0 to 100, default 20. More is VALIDATION_FAILED.',
      }),
      after: t.arg.string({
        required: false,
        description: 'Return the items after this cursor (a `pageInfo.endCursor`).',
      }),
      filter: t.arg({ type: CommandFilter, required: false, description: 'Which commands to list.' }),
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
    description: 'Commands the key may see.',
    args: {
      first: t.arg.int({
        required: false,
        description: 'How many items to return: 0 to 100, default 20. More is VALIDATION_FAILED.',
      }),
      after: t.arg.string({
        required: false,
        description: 'Return the items after this cursor (a `pageInfo.endCursor`).',
      }),
      filter: t.arg({ type: CommandFilter, required: false, description: 'Which commands to list.' }),
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
    description: 'How many of its commands are RUNNING now.',
    resolve: async (project, _args, ctx) =>
      (await ctx.services.commands.queueCounts(ctx.principal)).find((q) => q.projectName === project.name)
        ?.running ?? 0,
  }),
  queuedCommands: t.int({
    description: 'How many of its commands are QUEUED now.',
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
  description: 'Queued and running commands of one project.',
  fields: (t) => ({
    projectName: t.exposeString('projectName', { description: 'The project.' }),
    queued: t.exposeInt('queued', { description: 'Commands waiting for a slot.' }),
    running: t.exposeInt('running', { description: 'Commands running now.' }),
    oldestQueuedAt: t.expose('oldestQueuedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the longest-waiting command was queued; null when none waits.',
    }),
  }),
});

const QueueStatsRef = builder.objectRef<ProjectQueue[]>('QueueStats').implement({
  description: 'Queued and running commands, in total and per project, over the projects the key may see.',
  fields: (t) => ({
    queued: t.int({
      description: 'Commands waiting for a slot.',
      resolve: (qs) => qs.reduce((n, q) => n + q.queued, 0),
    }),
    running: t.int({
      description: 'Commands running now.',
      resolve: (qs) => qs.reduce((n, q) => n + q.running, 0),
    }),
    oldestQueuedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the longest-waiting command was queued; null when none waits.',
      resolve: (qs) =>
        qs
          .map((q) => q.oldestQueuedAt)
          .filter((d): d is Date => d !== null)
          .sort((a, b) => a.getTime() - b.getTime())[0] ?? null,
    }),
    projects: t.field({
      type: [ProjectQueueStatsRef],
      description: 'The same, per project.',
      resolve: (qs) => qs,
    }),
  }),
});

builder.queryField('queue', (t) =>
  t.field({
    type: QueueStatsRef,
    description: 'The load: queued and running commands over the projects the key may see.',
    resolve: (_root, _args, ctx) => ctx.services.commands.queueCounts(ctx.principal),
  }),
);

builder.subscriptionField('commandUpdated', (t) =>
  t.field({
    type: CommandRef,
    description:
      'Status changes of one command, of one project, or of every command the key may see (scope `commands:read`).',
    args: {
      commandId: t.arg.id({
        required: false,
        description: 'Follow only this command: its global id or its plain UUID.',
      }),
      projectName: t.arg.string({
        required: false,
        description: 'Follow only the commands of this project.',
      }),
    },
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
