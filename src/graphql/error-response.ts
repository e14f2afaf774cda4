import type { DomainError } from '../domain/errors.js';

/**
 * The GraphQL answer to a request refused before any operation ran (a bad key, too many failed
 * keys, a body over the limit): `{"errors": [{"message", "extensions": {"code", …}}]}` with the
 * code's HTTP status, and the headers the status calls for. The one place that writes it.
 */
export function graphqlErrorResponse(error: DomainError): {
  status: number;
  /** Besides `content-type: application/json`. */
  headers: Record<string, string>;
  body: { errors: { message: string; extensions: Record<string, unknown> }[] };
} {
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (error.code === 'UNAUTHENTICATED') headers['www-authenticate'] = 'Bearer realm="rdev"';
  if (error.code === 'RATE_LIMITED') headers['retry-after'] = String(error.details.retryAfterSeconds ?? 1);
  const body = { errors: [{ message: error.message, extensions: { code: error.code, ...error.details } }] };
  return { status: error.httpStatus, headers, body };
}
