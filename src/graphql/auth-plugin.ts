import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import { DomainError } from '../domain/errors.js';
import type { KeyPrincipal } from '../domain/principal.js';
import type { AuthRequest } from '../services/auth-service.js';
import { graphqlErrorResponse } from './error-response.js';
import type { ServerContext } from './yoga.js';

export interface AuthenticationOptions {
  authenticate(request: AuthRequest): Promise<KeyPrincipal | null>;
  /** Turns infrastructure failures into domain errors (the database down → SERVICE_UNAVAILABLE). */
  translateError?(error: unknown): DomainError | null;
}

/**
 * Authenticates every HTTP request yoga serves (POST, GET, GraphQL over SSE) before it is parsed:
 * the caller's principal goes into the server context, and a refused key is answered here with
 * the GraphQL error JSON and no operation run. Running inside yoga, it also serves `yoga.fetch`.
 * graphql-ws operations reach the same `authenticate` through the WebSocket edge.
 */
export function useAuthentication(options: AuthenticationOptions): Plugin<object, ServerContext> {
  return {
    onRequest: async ({ request, url, serverContext, endResponse, fetchAPI }) => {
      // Called without a server context (`yoga.fetch` in tests), the request still gets ids.
      serverContext.requestId ??= randomUUID();
      serverContext.clientIp ??= 'unknown';
      try {
        serverContext.principal = await options.authenticate({
          fields: Object.fromEntries(request.headers),
          query: url.searchParams,
          clientIp: serverContext.clientIp,
          requestId: serverContext.requestId,
        });
      } catch (caught) {
        const error = caught instanceof DomainError ? caught : options.translateError?.(caught);
        if (!error) throw caught;
        const { status, headers, body } = graphqlErrorResponse(error);
        endResponse(
          new fetchAPI.Response(JSON.stringify(body), {
            status,
            headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
          }),
        );
      }
    },
  };
}
