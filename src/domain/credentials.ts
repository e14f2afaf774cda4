import { UnauthenticatedError } from './errors.js';

// Query parameters that look like someone put a key in a URL, where proxies and logs keep it.
const KEY_PARAMS = ['api_key', 'apikey', 'api-key', 'key', 'token', 'access_token', 'authorization'];

/**
 * Where a caller's key may come from, whatever the transport: HTTP headers, graphql-ws
 * `connectionParams`, or the `extensions.headers` of one graphql-ws operation (what GraphiQL
 * sends), plus the query string of the URL the request or connection came on.
 */
export interface Credentials {
  /** Header-like fields; names in any case, values strings (a list takes its first value). */
  fields: Readonly<Record<string, unknown>> | undefined;
  /** The URL's query string: a key found there is refused, never used. */
  query?: URLSearchParams;
}

/**
 * The key text the caller sent: `Authorization: Bearer <key>` or legacy `X-API-Key: <key>`, or
 * `null` when it sent none. A key in the URL, or a credential of another shape, is refused rather
 * than ignored, so the client learns what is wrong.
 */
export function keyTextOf({ fields, query }: Credentials): string | null {
  if (query) {
    for (const [name, value] of query) {
      if (KEY_PARAMS.includes(name.toLowerCase()) || value.startsWith('rdev_')) {
        throw new UnauthenticatedError(
          'API keys are not accepted in URLs: send "Authorization: Bearer <key>".',
        );
      }
    }
  }
  let authorization: unknown;
  let legacy: unknown;
  for (const [name, value] of Object.entries(fields ?? {})) {
    const lower = name.toLowerCase();
    if (lower === 'authorization') authorization = first(value);
    else if (lower === 'x-api-key') legacy = first(value);
  }
  if (authorization !== undefined) {
    const match = typeof authorization === 'string' ? /^Bearer[ ]+(\S+)\s*$/i.exec(authorization) : null;
    if (!match) throw new UnauthenticatedError('The Authorization header must be "Bearer <key>".');
    return match[1]!;
  }
  if (legacy !== undefined) {
    if (typeof legacy !== 'string' || legacy.trim() === '') {
      throw new UnauthenticatedError('The X-API-Key header must hold the key.');
    }
    return legacy.trim();
  }
  return null;
}

/** Whether the fields carry a credential at all (well-formed or not). */
export function carriesCredential(fields: Readonly<Record<string, unknown>> | undefined): boolean {
  return Object.keys(fields ?? {}).some((name) => /^(authorization|x-api-key)$/i.test(name));
}

function first(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}
