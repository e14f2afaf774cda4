import { wrapErrorIfMatches } from '@pothos/plugin-errors';
import type { Command } from '../../domain/command.js';
import {
  CommandNotAllowedError,
  ConflictError,
  type DomainError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  RuntimeUnavailableError,
  ValidationError,
} from '../../domain/errors.js';
import { builder } from '../builder.js';
import { localId } from '../global-id.js';
import { CommandRef } from './command.js';

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
