/**
 * Errors that services raise on purpose. Each carries a stable SCREAMING_SNAKE code that clients
 * branch on; the message is for a person and must say what to do. Anything that is not a
 * DomainError is a bug and is masked at the edge.
 */
export const ERROR_CODES = {
  UNAUTHENTICATED: {
    httpStatus: 401,
    meaning:
      "No API key, or the key is malformed, unknown, revoked, expired or not allowed from the client's address (one answer for all, so a refusal never confirms a key).",
  },
  FORBIDDEN: {
    httpStatus: 403,
    meaning: 'The key lacks a scope or project grant, or no longer allows an open stream.',
  },
  NOT_FOUND: { httpStatus: 404, meaning: 'The object does not exist or the key may not see it.' },
  VALIDATION_FAILED: {
    httpStatus: 422,
    meaning: 'An input value is invalid; `extensions.issues` lists each problem.',
  },
  CONFLICT: {
    httpStatus: 409,
    meaning: 'The change conflicts with existing state (a duplicate name, a reused idempotency key).',
  },
  RATE_LIMITED: {
    httpStatus: 429,
    meaning:
      'Too many requests, failed keys from one address, or open subscriptions; retry after `extensions.retryAfterSeconds`.',
  },
  COMMAND_NOT_ALLOWED: { httpStatus: 403, meaning: "The project's policy does not allow this command type." },
  PRECONDITION_FAILED: {
    httpStatus: 412,
    meaning:
      'The current state does not allow the change: a stale `ifMatch` etag (re-read the item and retry), or git in a project folder that is not a git repository (`details.reason` is `not-a-git-repository`).',
  },
  NOT_ACCEPTING_INPUT: {
    httpStatus: 409,
    meaning:
      'The command takes no input: it was not started with `openStdin` (or is not an interactive Claude session), it has ended, or the end of its input was sent already (`details.reason`: `not-open`, `not-interactive`, `ended` or `eof-sent`).',
  },
  RUNTIME_UNAVAILABLE: {
    httpStatus: 503,
    meaning: 'The workspace runtime cannot be reached (circuit open, pod not running).',
  },
  CLAUDE_UNAVAILABLE: {
    httpStatus: 503,
    meaning:
      'The Claude Code CLI (`claude`) cannot run where the project runs commands: not on the PATH, or `claude --version` fails. The message says where rdev looked; install it with `npm install -g @anthropic-ai/claude-code`. rdev checks again on the next `runClaude`.',
  },
  PAYLOAD_TOO_LARGE: { httpStatus: 413, meaning: 'A body or content exceeds its size limit.' },
  RESPONSE_TOO_LARGE: {
    httpStatus: 413,
    meaning:
      'The answer would carry more command output than `RDEV_GRAPHQL_MAX_OUTPUT_BYTES`; ask for fewer events with `first` and page with `after`.',
  },
  SERVICE_UNAVAILABLE: {
    httpStatus: 503,
    meaning: 'A dependency such as the database is down or the server is draining.',
  },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].httpStatus;
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'A valid API key is required: send it as "Authorization: Bearer <key>".') {
    super('UNAUTHENTICATED', message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('FORBIDDEN', message, details);
  }
}

export class NotFoundError extends DomainError {
  /** @param hint why nothing was found, when the id itself tells (an id of another type). */
  constructor(what: string, id: string, hint?: string) {
    super('NOT_FOUND', `${what} "${id}" was not found${hint ? `: ${hint}` : ''}.`, { what, id });
  }
}

/** One problem with one input field. `path` names the field as the client sent it. */
export interface ValidationIssue {
  path: string;
  message: string;
}

export class ValidationError extends DomainError {
  readonly issues: ValidationIssue[];

  constructor(issues: ValidationIssue[]) {
    const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super('VALIDATION_FAILED', `Invalid input: ${summary}`, { issues });
    this.issues = issues;
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CONFLICT', message, details);
  }
}

/**
 * A store refused a new command because the caller's idempotency key is already taken: another
 * request with the same key was queued first (the two raced). The service answers with that one.
 */
export class IdempotencyKeyTakenError extends ConflictError {
  constructor(idempotencyKey: string) {
    super(`The idempotency key "${idempotencyKey}" is already taken by another command.`, { idempotencyKey });
  }
}

export class RateLimitedError extends DomainError {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number, { message, ...details }: { message?: string; limit?: number } = {}) {
    super('RATE_LIMITED', message ?? `Rate limit exceeded; retry after ${retryAfterSeconds} s.`, {
      retryAfterSeconds,
      ...details,
    });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class CommandNotAllowedError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('COMMAND_NOT_ALLOWED', message, details);
  }
}

export class PreconditionFailedError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('PRECONDITION_FAILED', message, details);
  }
}

export class CommandNotAcceptingInputError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('NOT_ACCEPTING_INPUT', message, details);
  }
}

export class RuntimeUnavailableError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('RUNTIME_UNAVAILABLE', message, details);
  }
}

/**
 * The workspace answered but could not do what was asked: the run supervisor failed or could not
 * be installed. Clients see it as RUNTIME_UNAVAILABLE like any runtime trouble; starting a command
 * counts it as a failed attempt, where a workspace that cannot be reached at all is waited for.
 */
export class WorkspaceFailedError extends RuntimeUnavailableError {}

/** `claude` is missing or broken where a project's commands run; refused before anything is queued. */
export class ClaudeUnavailableError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CLAUDE_UNAVAILABLE', message, details);
  }
}

export class PayloadTooLargeError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('PAYLOAD_TOO_LARGE', message, details);
  }
}

export class ResponseTooLargeError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('RESPONSE_TOO_LARGE', message, details);
  }
}

export class ServiceUnavailableError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('SERVICE_UNAVAILABLE', message, details);
  }
}
