import { GraphQLError } from 'graphql';
import type { YogaLogger } from 'graphql-yoga';
import { DomainError, ERROR_CODES } from '../domain/errors.js';
import type { Logger } from '../observability/logger.js';

/**
 * Yoga's logger, on the app's. Yoga reports every error it sees at error level, the request's
 * own mistakes (an unknown id, a refused CSRF check) included, and some of them twice. Those are
 * the client's business, not an operator's: they go to info with their code and message, once per
 * error; anything else stays an error.
 */
export function yogaLogging(logger: Logger): YogaLogger {
  const seen = new WeakSet<object>();
  return {
    debug: (...args) => logger.debug({ args }, 'yoga'),
    info: (...args) => logger.info({ args }, 'yoga'),
    warn: (...args) => logger.warn({ args }, 'yoga'),
    error: (...args) => {
      const refusals = args.map(clientRefusal);
      if (args.length === 0 || refusals.some((r) => r === null)) {
        logger.error({ args }, 'yoga');
        return;
      }
      args.forEach((arg, i) => {
        if (seen.has(arg as object)) return;
        seen.add(arg as object);
        const { code, message } = refusals[i]!;
        logger.info({ code, error: message }, `GraphQL request refused (${code}): ${message}`);
      });
    },
  };
}

/** The code and message of an error the request caused, or null for anything else. */
function clientRefusal(error: unknown): { code: string; message: string } | null {
  if (!(error instanceof GraphQLError)) return null;
  const original = error.originalError;
  if (original instanceof DomainError) {
    return ERROR_CODES[original.code].httpStatus < 500
      ? { code: original.code, message: original.message }
      : null;
  }
  if (original) return null;
  const status = (error.extensions?.http as { status?: number } | undefined)?.status;
  if (status !== undefined && status >= 500) return null;
  const code = typeof error.extensions?.code === 'string' ? error.extensions.code : statusCode(status);
  return { code, message: error.message };
}

function statusCode(status: number | undefined): string {
  if (status === 403) return 'FORBIDDEN';
  if (status === 401) return 'UNAUTHENTICATED';
  return 'BAD_REQUEST';
}
