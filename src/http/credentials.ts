import { UnauthenticatedError } from '../domain/errors.js';

// Query parameters that look like someone put a key in a URL, where proxies and logs keep it.
const KEY_PARAMS = ['api_key', 'apikey', 'api-key', 'key', 'token', 'access_token', 'authorization'];

/**
 * The key text a request carries: `Authorization: Bearer <key>` or legacy `X-API-Key: <key>`.
 * `null` when it carries none. A key in the query string, or an Authorization header of another
 * shape, is refused rather than ignored, so the client learns what is wrong.
 */
export function extractKeyText(
  headers: Record<string, string | string[] | undefined>,
  url?: URL,
): string | null {
  if (url) {
    for (const name of url.searchParams.keys()) {
      if (KEY_PARAMS.includes(name.toLowerCase()) || url.searchParams.get(name)?.startsWith('rdev_')) {
        throw new UnauthenticatedError(
          'API keys are not accepted in URLs: send "Authorization: Bearer <key>".',
        );
      }
    }
  }
  const authorization = first(headers.authorization);
  if (authorization !== undefined) {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    if (!match) throw new UnauthenticatedError('The Authorization header must be "Bearer <key>".');
    return match[1]!;
  }
  const legacy = first(headers['x-api-key']);
  if (legacy !== undefined) {
    if (legacy.trim() === '') throw new UnauthenticatedError('The X-API-Key header is empty.');
    return legacy.trim();
  }
  return null;
}

/** The key text from graphql-ws `connectionParams` (`authorization: "Bearer <key>"`). */
export function extractKeyFromConnectionParams(params: Record<string, unknown> | undefined): string | null {
  if (!params) return null;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    const lower = name.toLowerCase();
    if (typeof value === 'string') headers[lower] = value;
    // A credential of the wrong shape is refused, not taken for no credential at all.
    else if (lower === 'authorization' || lower === 'x-api-key') {
      throw new UnauthenticatedError(`connectionParams.${name} must be a string: "Bearer <key>".`);
    }
  }
  return extractKeyText(headers);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
