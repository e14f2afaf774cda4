import { wrapErrorIfMatches } from '@pothos/plugin-errors';
import type { Command } from '../../domain/command.js';
import {
  ClaudeUnavailableError,
  CommandNotAcceptingInputError,
  CommandNotAllowedError,
  ConflictError,
  type DomainError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  RuntimeUnavailableError,
  ValidationError,
} from '../../domain/errors.js';
import { localId } from '../../domain/global-id.js';
import { builder } from '../builder.js';
import { CommandRef } from './command.js';

const RunCommandPayload = builder.objectRef<{ command: Command }>('RunCommandPayload').implement({
  description: 'The command was accepted: it is QUEUED until its project has a free slot.',
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'command' in value,
  fields: (t) => ({
    command: t.field({
      type: CommandRef,
      description: 'The new command (or, for a retried idempotency key, the one started before).',
      resolve: (p) => p.command,
    }),
  }),
});
const CancelCommandPayload = builder.objectRef<{ command: Command }>('CancelCommandPayload').implement({
  description: 'The command is being stopped.',
  fields: (t) => ({
    command: t.field({
      type: CommandRef,
      description: 'The command; it ends CANCELLED once its processes have exited.',
      resolve: (p) => p.command,
    }),
  }),
});

type InputFieldBuilder = Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0];

/** The input fields every run mutation shares: where it stands in the queue, and for how long it may run. */
function queueFields(t: InputFieldBuilder) {
  return {
    priority: t.int({
      required: false,
      description: '0–100, default 50; higher runs first, and waiting commands gain priority with age.',
    }),
    idempotencyKey: t.string({
      required: false,
      description:
        'A retry with the same key and the same input returns the same command instead of running it twice; the same key with other input is CONFLICT. Keys are per API key.',
    }),
    timeoutSeconds: t.int({
      required: false,
      description: 'Past this many seconds the command is stopped and ends TIMED_OUT.',
    }),
  };
}

const RunClaudeInput = builder.inputType('RunClaudeInput', {
  description: 'What `runClaude` runs: a prompt for the Claude Code CLI in a project workspace.',
  fields: (t) => ({
    projectName: t.string({
      required: true,
      description: 'The project to run in; the key must be granted it.',
    }),
    prompt: t.string({ required: true, description: 'The prompt, sent to the CLI on its stdin.' }),
    ...queueFields(t),
    resumeSessionId: t.string({
      required: false,
      description: 'Continue an earlier conversation: a session id (UUID) from `Command.claudeSession`.',
    }),
    maxTurns: t.int({
      required: false,
      description: 'Stop the CLI after this many agent turns (`--max-turns`).',
    }),
    allowedTools: t.stringList({
      required: false,
      description: 'Tools the CLI may use without asking (`--allowedTools`), e.g. `Read`, `Bash(git:*)`.',
    }),
    model: t.string({
      required: false,
      description: "The model the CLI uses (`--model`); default: the CLI's own.",
    }),
    interactive: t.boolean({
      required: false,
      description:
        'Keep the session open (default false): `prompt` is the first message, `sendClaudeMessage` sends the next ones, each answered by a turn ending in a `result` event, `interruptClaude` stops a turn, and `endClaudeSession` lets the CLI finish and exit. The Claude watchdog does not count the time between turns.',
    }),
  }),
});
const RunShellInput = builder.inputType('RunShellInput', {
  description: 'What `runShell` runs: a program (`argv`) or a `sh -c` script, in a project workspace.',
  fields: (t) => ({
    projectName: t.string({
      required: true,
      description: 'The project to run in; the key must be granted it.',
    }),
    argv: t.stringList({
      required: false,
      description:
        'The program and its arguments, never passed through a shell. A one-element argv containing spaces is refused (VALIDATION_FAILED): split the words or use `script`.',
    }),
    script: t.string({
      required: false,
      description: 'Run as `sh -c script`. Exactly one of argv and script.',
    }),
    ...queueFields(t),
    env: t.field({
      type: 'JSON',
      required: false,
      description: 'Extra environment variables: an object of strings (anything else is VALIDATION_FAILED).',
    }),
    cwd: t.string({
      required: false,
      description: 'Working directory, relative to the project workspace; default: the workspace root.',
    }),
    openStdin: t.boolean({
      required: false,
      description:
        "Keep the command's stdin open (default false): it reads what `sendCommandInput` sends, in order, until an `eof`. Without it stdin is empty.",
    }),
  }),
});
const RunGitInput = builder.inputType('RunGitInput', {
  description:
    'What `runGit` runs: `git` with an allowed subcommand, in a project folder that is a git repository.',
  fields: (t) => ({
    projectName: t.string({
      required: true,
      description: 'The project to run in; the key must be granted it.',
    }),
    args: t.stringList({
      required: true,
      description:
        'Arguments after `git`: an allowed subcommand and its options. Refs and paths are never read as options; a subcommand the policy does not allow is COMMAND_NOT_ALLOWED.',
    }),
    ...queueFields(t),
  }),
});
const CancelCommandInput = builder.inputType('CancelCommandInput', {
  description: 'Which command `cancelCommand` stops.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The command: its global id or its plain UUID.' }),
  }),
});

const runErrors = [
  ValidationError,
  NotFoundError,
  ForbiddenError,
  CommandNotAllowedError,
  ConflictError,
  PreconditionFailedError,
  RuntimeUnavailableError,
  ClaudeUnavailableError,
];

// One union shared by runClaude, runShell and runGit (the errors plugin would make one per field).
const RunCommandResult = builder.unionType('RunCommandResult', {
  description: 'The started command, or the error that kept it from starting.',
  types: [RunCommandPayload, ...runErrors],
});

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
    description:
      'Run the Claude Code CLI headless with a prompt (scope `commands:run:claude`). Each output event carries the parsed stream-json message in `claude`. Errors: VALIDATION_FAILED, NOT_FOUND (no such project), FORBIDDEN (missing scope or project grant), COMMAND_NOT_ALLOWED (project policy), CONFLICT (idempotency key reused with other input), PRECONDITION_FAILED, RUNTIME_UNAVAILABLE, CLAUDE_UNAVAILABLE (`claude` is not installed or does not run where the project runs commands; see `runtimeStatus.claude`).',
    args: {
      input: t.arg({ type: RunClaudeInput, required: true, description: 'The prompt and how to run it.' }),
    },
    resolve: (_root, { input }, ctx) =>
      runResult(() => ctx.services.commands.runClaude(ctx.principal, input)),
  }),
);

builder.mutationField('runShell', (t) =>
  t.field({
    type: RunCommandResult,
    description:
      'Run a program or a `sh -c` script in the project workspace (scope `commands:run:shell`). The command runs detached: it outlives the connection. Errors: VALIDATION_FAILED, NOT_FOUND (no such project), FORBIDDEN (missing scope or project grant), COMMAND_NOT_ALLOWED (project policy), CONFLICT (idempotency key reused with other input), PRECONDITION_FAILED, RUNTIME_UNAVAILABLE.',
    args: {
      input: t.arg({
        type: RunShellInput,
        required: true,
        description: 'The program or script and how to run it.',
      }),
    },
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
    description:
      'Run `git` with an allowed subcommand in the project folder (scope `commands:run:git`). A folder that is not a git repository is PRECONDITION_FAILED with `details.reason` `not-a-git-repository`: run `git init` through `runShell` first. Errors: VALIDATION_FAILED, NOT_FOUND (no such project), FORBIDDEN (missing scope or project grant), COMMAND_NOT_ALLOWED (project policy), CONFLICT (idempotency key reused with other input), PRECONDITION_FAILED, RUNTIME_UNAVAILABLE.',
    args: {
      input: t.arg({
        type: RunGitInput,
        required: true,
        description: 'The git arguments and how to run them.',
      }),
    },
    resolve: (_root, { input }, ctx) => runResult(() => ctx.services.commands.runGit(ctx.principal, input)),
  }),
);

builder.mutationField('cancelCommand', (t) =>
  t.field({
    type: CancelCommandPayload,
    description:
      'Stop a queued or running command (scope `commands:cancel`): TERM to its whole process group, KILL after `RDEV_CANCEL_GRACE_SECONDS`; it ends CANCELLED. Errors: NOT_FOUND, FORBIDDEN, VALIDATION_FAILED.',
    args: { input: t.arg({ type: CancelCommandInput, required: true, description: 'The command to stop.' }) },
    errors: {
      types: [NotFoundError, ForbiddenError, ValidationError],
      directResult: true,
      union: {
        name: 'CancelCommandResult',
        description: 'The cancelled command, or why it could not be cancelled.',
      },
    },
    resolve: async (_root, { input }, ctx) => ({
      command: await ctx.services.commands.cancel(ctx.principal, localId(String(input.id), 'Command')),
    }),
  }),
);

const SendCommandInputInput = builder.inputType('SendCommandInputInput', {
  description:
    'What `sendCommandInput` sends: bytes for the stdin of a command started with `openStdin`, and whether its input ends.',
  fields: (t) => ({
    commandId: t.id({ required: true, description: 'The global id of the command.' }),
    data: t.string({
      required: false,
      description:
        'The input as text, sent as UTF-8. Text cannot hold NUL characters: send such bytes as `dataBase64`.',
    }),
    dataBase64: t.string({
      required: false,
      description: 'The input as standard base64, for any bytes. At most one of `data` and `dataBase64`.',
    }),
    eof: t.boolean({
      required: false,
      description:
        "Close the command's stdin after this input (default false): it reads end of file there, and the command takes no more input. May come without data.",
    }),
  }),
});

const SendCommandInputPayload = builder.objectRef<{ command: Command }>('SendCommandInputPayload').implement({
  description:
    'The input is stored: it reaches the command in the order sent, exactly once, even if a server restarts first.',
  fields: (t) => ({
    command: t.field({
      type: CommandRef,
      description: 'The command; `stdinOpen` is false after an `eof`.',
      resolve: (p) => p.command,
    }),
  }),
});

builder.mutationField('sendCommandInput', (t) =>
  t.field({
    type: SendCommandInputPayload,
    description:
      'Send input to the stdin of a command started with `openStdin: true` (scope `commands:input`, with `commands:read` and a grant of its project). Input is stored before the answer and delivered in order, once; a QUEUED command gets it when it starts. At most `RDEV_COMMAND_INPUT_MAX_BYTES` (default 512 KiB) per call. Errors: NOT_FOUND (no such command, or one the key may not see), FORBIDDEN (missing scope), NOT_ACCEPTING_INPUT (stdin not open, command ended, or `eof` sent already), VALIDATION_FAILED (both or neither of data and dataBase64, bad base64, too large).',
    args: {
      input: t.arg({
        type: SendCommandInputInput,
        required: true,
        description: 'The command and the input.',
      }),
    },
    errors: {
      types: [NotFoundError, ForbiddenError, CommandNotAcceptingInputError, ValidationError],
      directResult: true,
      union: {
        name: 'SendCommandInputResult',
        description: 'The command the input went to, or why it was refused.',
      },
    },
    resolve: async (_root, { input }, ctx) => ({
      command: await ctx.services.commandInput.send(ctx.principal, {
        commandId: localId(String(input.commandId), 'Command'),
        data: input.data,
        dataBase64: input.dataBase64,
        eof: input.eof,
      }),
    }),
  }),
);

const ClaudeSessionPayload = builder.objectRef<{ command: Command }>('ClaudeSessionPayload').implement({
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'command' in value,
  description:
    'The message, interrupt or end was stored: it reaches the session in the order sent, exactly once.',
  fields: (t) => ({
    command: t.field({
      type: CommandRef,
      description: 'The session; `stdinOpen` is false once it was ended.',
      resolve: (p) => p.command,
    }),
  }),
});

const claudeSessionErrors = [NotFoundError, ForbiddenError, CommandNotAcceptingInputError, ValidationError];

const ClaudeSessionResult = builder.unionType('ClaudeSessionResult', {
  description: 'The session the input went to, or why it was refused.',
  types: [ClaudeSessionPayload, ...claudeSessionErrors],
});

async function claudeSessionResult(
  send: () => Promise<Command>,
): Promise<{ command: Command } | DomainError> {
  try {
    return { command: await send() };
  } catch (error) {
    const wrapped = wrapErrorIfMatches(error, claudeSessionErrors);
    if (wrapped !== error) return wrapped as DomainError;
    throw error;
  }
}

const SendClaudeMessageInput = builder.inputType('SendClaudeMessageInput', {
  description: 'The next user message of an interactive Claude session.',
  fields: (t) => ({
    commandId: t.id({ required: true, description: 'The global id of the session (a CLAUDE command).' }),
    text: t.string({ required: true, description: 'The message, as the user would type it.' }),
  }),
});

const ClaudeSessionCommandInput = (name: string, description: string) =>
  builder.inputType(name, {
    description,
    fields: (t) => ({
      commandId: t.id({ required: true, description: 'The global id of the session (a CLAUDE command).' }),
    }),
  });

const SESSION_ERRORS =
  'Errors: NOT_FOUND (no such command, or one the key may not see), FORBIDDEN (missing scope), NOT_ACCEPTING_INPUT (not an interactive session, ended, or ended already), VALIDATION_FAILED.';

builder.mutationField('sendClaudeMessage', (t) =>
  t.field({
    type: ClaudeSessionResult,
    description: `Send the next user message to an interactive Claude session (\`runClaude\` with \`interactive: true\`; scope \`commands:input\`, with \`commands:read\` and a grant of its project). It is stored before the answer and reaches the CLI after the messages sent before it; the CLI answers with a turn ending in a \`result\` event. ${SESSION_ERRORS}`,
    args: {
      input: t.arg({
        type: SendClaudeMessageInput,
        required: true,
        description: 'The session and the message.',
      }),
    },
    resolve: (_root, { input }, ctx) =>
      claudeSessionResult(() =>
        ctx.services.commandInput.sendClaudeMessage(ctx.principal, {
          commandId: localId(String(input.commandId), 'Command'),
          text: input.text,
        }),
      ),
  }),
);

builder.mutationField('endClaudeSession', (t) =>
  t.field({
    type: ClaudeSessionResult,
    description: `End an interactive Claude session (scope \`commands:input\`): its stdin closes after the messages sent before, the CLI finishes and exits, and the command ends by its last \`result\`. To stop it at once, use \`cancelCommand\`. ${SESSION_ERRORS}`,
    args: {
      input: t.arg({
        type: ClaudeSessionCommandInput('EndClaudeSessionInput', 'Which interactive Claude session to end.'),
        required: true,
        description: 'The session.',
      }),
    },
    resolve: (_root, { input }, ctx) =>
      claudeSessionResult(() =>
        ctx.services.commandInput.endClaudeSession(ctx.principal, {
          commandId: localId(String(input.commandId), 'Command'),
        }),
      ),
  }),
);

builder.mutationField('interruptClaude', (t) =>
  t.field({
    type: ClaudeSessionResult,
    description: `Stop the turn in progress of an interactive Claude session (scope \`commands:input\`): an \`interrupt\` control request, answered by a \`control_response\` event; the session waits for the next message. ${SESSION_ERRORS}`,
    args: {
      input: t.arg({
        type: ClaudeSessionCommandInput(
          'InterruptClaudeInput',
          'Which interactive Claude session to interrupt.',
        ),
        required: true,
        description: 'The session.',
      }),
    },
    resolve: (_root, { input }, ctx) =>
      claudeSessionResult(() =>
        ctx.services.commandInput.interruptClaude(ctx.principal, {
          commandId: localId(String(input.commandId), 'Command'),
        }),
      ),
  }),
);
