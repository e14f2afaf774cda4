/**
 * Reading failures of `@kubernetes/client-node` 1.x, whose shapes differ by path: the generated
 * API throws `ApiException` with `code` (the HTTP status) and an unparsed body, `Watch` reports
 * an `Error` with `statusCode`, exec's WebSocket says "Unexpected server response: 500", and the
 * network layer throws errors with a string `code` (ECONNREFUSED, ERR_STREAM_PREMATURE_CLOSE).
 */

/** The HTTP status behind a client error, if there was one. */
export function kubeHttpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (typeof e.code === 'number' && e.code >= 100 && e.code < 600) return e.code;
  if (typeof e.statusCode === 'number' && e.statusCode >= 100 && e.statusCode < 600) return e.statusCode;
  if (typeof e.message === 'string') {
    const m = /Unexpected server response: (\d{3})/.exec(e.message);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** A failure of the network or the connection rather than an answer from the server. */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; type?: unknown; errno?: unknown; name?: unknown; cause?: unknown };
  if (kubeHttpStatus(error) !== undefined) return false;
  if (typeof e.code === 'string' && /^(E[A-Z]+|ERR_STREAM_PREMATURE_CLOSE|UND_ERR_[A-Z_]+)$/.test(e.code)) {
    return true;
  }
  // node-fetch wraps socket errors as FetchError with type "system".
  if (e.name === 'FetchError' && e.type === 'system') return true;
  return e.cause !== undefined && e.cause !== error && isConnectionError(e.cause);
}

/**
 * True for failures that say the API server is unwell (5xx, connection errors). A 4xx is an
 * answer about the request (not found, forbidden, gone) and says the server works.
 */
export function isServerFailure(error: unknown): boolean {
  const status = kubeHttpStatus(error);
  if (status !== undefined) return status >= 500;
  return isConnectionError(error);
}

/** A short description of a failure for logs and `lastError`; never includes request bodies. */
export function describeKubeError(error: unknown): string {
  const status = kubeHttpStatus(error);
  const body = (error as { body?: unknown })?.body;
  if (status !== undefined) {
    const reason = typeof body === 'string' ? statusMessage(body) : undefined;
    return reason ? `HTTP ${status}: ${reason}` : `HTTP ${status}`;
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

function statusMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message.slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}
