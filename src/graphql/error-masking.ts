import { GraphQLError } from 'graphql';
import { DomainError } from '../domain/errors.js';

/**
 * Domain errors reach clients with their stable code; GraphQL's own errors (syntax, validation)
 * pass through; everything else is a bug and becomes "Unexpected error." so no internal detail or
 * secret leaks. `onUnexpected` logs the original.
 */
export function createMaskError(
  onUnexpected: (error: unknown) => void,
  /** Recognises infrastructure failures (a database that is down) as domain errors. */
  translate: (error: unknown) => DomainError | null = () => null,
) {
  return (error: unknown, message: string): Error => {
    const raw = error instanceof GraphQLError ? error.originalError : error;
    const original = raw instanceof DomainError ? raw : (translate(raw) ?? raw);
    if (original instanceof DomainError) {
      const gqlError = error instanceof GraphQLError ? error : undefined;
      return new GraphQLError(original.message, {
        nodes: gqlError?.nodes,
        path: gqlError?.path,
        extensions: { code: original.code, ...original.details },
      });
    }
    // A GraphQLError thrown on purpose by a plugin (armor, CSRF) carries an http status or a code;
    // one that graphql-js raised before executing any field (no path: a variable missing or of the
    // wrong type) is the request's fault. Either way the client gets a code to branch on.
    if (error instanceof GraphQLError && error.extensions?.code) return error;
    if (error instanceof GraphQLError && (error.extensions?.http || (!error.originalError && !error.path))) {
      return withCode(error);
    }
    if (error instanceof GraphQLError && !error.originalError) return error;
    onUnexpected(error);
    const gqlError = error instanceof GraphQLError ? error : undefined;
    return new GraphQLError(message, {
      nodes: gqlError?.nodes,
      path: gqlError?.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}

/** Codes for the refusals yoga's plugins raise with only an HTTP status (CSRF prevention's 403). */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  403: 'FORBIDDEN',
  413: 'PAYLOAD_TOO_LARGE',
};

function withCode(error: GraphQLError): GraphQLError {
  const status = (error.extensions.http as { status?: number } | undefined)?.status ?? 400;
  const code = CODE_BY_STATUS[status] ?? 'BAD_REQUEST';
  const message =
    code === 'FORBIDDEN' && /CSRF/.test(error.message)
      ? 'Send the API key in the Authorization header, or a x-graphql-csrf header, so a browser on another site cannot make this request.'
      : error.message;
  return new GraphQLError(message, {
    nodes: error.nodes,
    path: error.path,
    extensions: { ...error.extensions, code },
  });
}
