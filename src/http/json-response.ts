import type { ServerResponse } from 'node:http';
import { DomainError } from '../domain/errors.js';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  // Answered before the body was read (too large, bad key): the unread rest would be taken as the
  // next request on this connection, so the connection ends with this answer.
  const unread = res.req !== undefined && !res.req.complete;
  res.writeHead(status, {
    ...(unread ? { connection: 'close' } : {}),
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** REST error body: `{"error": {"code", "message"}}` with the code's HTTP status. */
export function restErrorBody(error: DomainError): { error: Record<string, unknown> } {
  const { issues } = error.details as { issues?: unknown };
  return { error: { code: error.code, message: error.message, ...(issues ? { issues } : {}) } };
}

/** Sends {@link restErrorBody} with the code's status and headers; anything else is a masked 500. */
export function sendError(res: ServerResponse, error: unknown, headers: Record<string, string> = {}) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof DomainError) {
    const extra: Record<string, string> = { ...headers };
    if (error.code === 'RATE_LIMITED') extra['retry-after'] = String(error.details.retryAfterSeconds ?? 1);
    if (error.code === 'UNAUTHENTICATED') extra['www-authenticate'] = 'Bearer realm="rdev"';
    sendJson(res, error.httpStatus, restErrorBody(error), extra);
    return;
  }
  sendJson(res, 500, { error: { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.' } }, headers);
}
