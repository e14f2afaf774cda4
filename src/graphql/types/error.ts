import {
  ClaudeUnavailableError,
  CommandNotAcceptingInputError,
  CommandNotAllowedError,
  ConflictError,
  type DomainError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionFailedError,
  RuntimeUnavailableError,
  ValidationError,
  type ValidationIssue,
} from '../../domain/errors.js';
import { builder } from '../builder.js';

/** The `Error` interface every expected-error union member implements. */
export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  description: 'An error a client should expect, returned as a member of a mutation result union.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'What went wrong and what to do next, for people.' }),
    code: t.exposeString('code', {
      description: 'Stable code such as `NOT_FOUND`: branch on this, not on the message.',
    }),
  }),
});

const ValidationIssueRef = builder.objectRef<ValidationIssue>('ValidationIssue').implement({
  description: 'One invalid input value.',
  fields: (t) => ({
    path: t.exposeString('path', { description: 'The input field, as a dotted path.' }),
    message: t.exposeString('message', { description: 'What is wrong with it.' }),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationFailedError',
  description: 'VALIDATION_FAILED: an input value is invalid; `issues` lists each problem.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({
    issues: t.field({
      type: [ValidationIssueRef],
      description: 'Each invalid value.',
      resolve: (e) => e.issues,
    }),
  }),
});

for (const [cls, name, description] of [
  [ForbiddenError, 'ForbiddenError', 'FORBIDDEN: the key lacks a scope or project grant.'],
  [NotFoundError, 'NotFoundError', 'NOT_FOUND: the object does not exist or the key may not see it.'],
  [
    ConflictError,
    'ConflictError',
    'CONFLICT: the change conflicts with existing state (a duplicate name, a reused idempotency key).',
  ],
  [
    CommandNotAllowedError,
    'CommandNotAllowedError',
    "COMMAND_NOT_ALLOWED: the project's policy does not allow this command type.",
  ],
  [
    PreconditionFailedError,
    'PreconditionFailedError',
    'PRECONDITION_FAILED: the current state does not allow the change, e.g. a stale `ifMatch` etag (re-read and retry) or git in a folder that is not a git repository.',
  ],
  [
    CommandNotAcceptingInputError,
    'CommandNotAcceptingInputError',
    'NOT_ACCEPTING_INPUT: the command takes no input: it was not started with `openStdin` (or is not an interactive Claude session), it has ended, or its `eof` was sent already.',
  ],
  [
    RuntimeUnavailableError,
    'RuntimeUnavailableError',
    'RUNTIME_UNAVAILABLE: the workspace runtime cannot be reached (circuit open, pod not running); retry later.',
  ],
  [
    ClaudeUnavailableError,
    'ClaudeUnavailableError',
    'CLAUDE_UNAVAILABLE: the Claude Code CLI cannot run where the project runs commands; the message says where rdev looked and how to install it (`npm install -g @anthropic-ai/claude-code`).',
  ],
  [
    PayloadTooLargeError,
    'PayloadTooLargeError',
    'PAYLOAD_TOO_LARGE: a body or content exceeds its size limit.',
  ],
] as const) {
  builder.objectType(cls as typeof DomainError, {
    name,
    description,
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof cls,
    fields: () => ({}),
  });
}
