import type { YogaServerOptions } from 'graphql-yoga';

type CorsOption = NonNullable<YogaServerOptions<object, object>['cors']>;

/**
 * CORS for the API: a browser page may read answers only when it comes from this server (the
 * console) or from an origin the operator listed. Every other origin gets no CORS headers at all,
 * so a page on a foreign site cannot read what a logged-in browser is sent.
 *
 * "This server" is the `Host` the request was sent to: behind an ingress that is the public name,
 * which is what the console's pages carry in `Origin`, whatever the scheme TLS ends in.
 */
export function corsPolicy(allowedOrigins: readonly string[]): CorsOption {
  const allowed = new Set(allowedOrigins);
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (!origin || !(allowed.has(origin) || isOwnOrigin(origin, request.headers.get('host')))) return false;
    return { origin: [origin], credentials: true };
  };
}

function isOwnOrigin(origin: string, host: string | null): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
