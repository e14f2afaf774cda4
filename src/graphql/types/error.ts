import {
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
  fields: (t) => ({
    message: t.exposeString('message'),
    code: t.exposeString('code'),
  }),
});

const ValidationIssueRef = builder.objectRef<ValidationIssue>('ValidationIssue').implement({
  fields: (t) => ({
    path: t.exposeString('path', { description: 'The input field, as a dotted path.' }),
    message: t.exposeString('message'),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationFailedError',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({ issues: t.field({ type: [ValidationIssueRef], resolve: (e) => e.issues }) }),
});

for (const [cls, name] of [
  [ForbiddenError, 'ForbiddenError'],
  [NotFoundError, 'NotFoundError'],
  [ConflictError, 'ConflictError'],
  [CommandNotAllowedError, 'CommandNotAllowedError'],
  [PreconditionFailedError, 'PreconditionFailedError'],
  [RuntimeUnavailableError, 'RuntimeUnavailableError'],
  [PayloadTooLargeError, 'PayloadTooLargeError'],
] as const) {
  builder.objectType(cls as typeof DomainError, {
    name,
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof cls,
    fields: () => ({}),
  });
}
