import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { type ExecutionArgs, GraphQLError } from 'graphql';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Principal } from '../domain/principal.js';
import { createMaskError } from '../graphql/error-masking.js';
import type { RdevYoga } from '../graphql/yoga.js';
import type { Logger } from '../observability/logger.js';
import type { AppMetrics } from '../observability/metrics.js';
import type { ClientIpResolver } from './client-ip.js';
import { bindGraphQLWs } from './graphql-ws-binding.js';
import { limitWsSendBuffers } from './ws-send-limit.js';

export interface GraphQLWsOptions {
  server: Server;
  yoga: RdevYoga;
  logger: Logger;
  metrics: AppMetrics;
  clientIp: ClientIpResolver;
  /**
   * Decides a connection from its `connection_init` payload: a principal (or null for anonymous)
   * to accept, `false` to close with 4403.
   */
  authenticate(
    connectionParams: Record<string, unknown> | undefined,
    clientIp: string,
  ): Promise<Principal | null | false>;
  keepAliveMs?: number;
  /** Bytes one connection may have waiting to be sent before it is closed as a slow consumer. */
  maxBufferedBytes?: number;
  /** Open subscriptions one connection may hold. */
  maxSubscriptionsPerConnection: number;
}

export interface GraphQLWsServer {
  wss: WebSocketServer;
  /** Closes every socket with `code` (1001 when going away) and stops accepting. */
  close(code: number, reason: string): Promise<void>;
  /** Closes the sockets opened with any of these credentials (revocation). */
  closeForCredentials(credentialIds: ReadonlySet<string>, code: number, reason: string): number;
}

/** WebSocket close code 1013, "Try Again Later": the server cannot serve the connection now. */
const TRY_AGAIN_LATER = 1013;

type ConnectionState = {
  principal: Principal | null;
  clientIp: string;
};

/**
 * graphql-ws on `/graphql`, executed through `yoga.getEnveloped` so every envelop plugin (armor,
 * metrics, auth) runs for WebSocket operations exactly as for HTTP ones.
 */
export function attachGraphQLWs(options: GraphQLWsOptions): GraphQLWsServer {
  const { yoga } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  limitWsSendBuffers(wss, {
    maxBufferedBytes: options.maxBufferedBytes ?? 8 * 1024 * 1024,
    onSlowConsumer: (_socket, buffered) =>
      options.logger.warn(
        { bufferedBytes: buffered },
        'closing a graphql-ws connection that reads too slowly',
      ),
  });
  const byCredential = new Map<string, Set<WebSocket>>();

  options.server.on('upgrade', (req, socket, head) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname !== '/graphql') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  // A refusal thrown by a plugin (graphql-armor while validating; the rate limit or a subscription
  // cap when the operation starts) answers that one operation with its error. Thrown out of
  // graphql-ws it would close the whole connection, every other subscription on it, with 4500.
  const maskError = createMaskError((error) =>
    options.logger.error({ err: error }, 'unexpected error in a graphql-ws operation'),
  );
  const asErrors = (error: unknown) => [maskError(error, 'Unexpected error.') as GraphQLError];
  const settle = async (run: () => unknown) => {
    try {
      return await run();
    } catch (error) {
      return { errors: asErrors(error) };
    }
  };

  bindGraphQLWs<ConnectionState>(
    wss,
    {
      execute: (args) =>
        settle(() => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args)) as never,
      subscribe: (args) =>
        settle(() =>
          (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args),
        ) as never,
      onConnect: async (ctx) => {
        const clientIp = options.clientIp.resolve(ctx.extra.remoteAddress, ctx.extra.forwardedFor);
        let principal: Principal | null | false;
        try {
          principal = await options.authenticate(ctx.connectionParams, clientIp);
        } catch (error) {
          // The key could not be checked (the database is down): not the client's fault, and not
          // a server bug to report with a 4500 and the driver's message. 1013: try again later.
          options.logger.warn({ err: error }, 'could not authenticate a graphql-ws connection');
          ctx.extra.socket.close(
            TRY_AGAIN_LATER,
            'The API key cannot be checked right now; reconnect in a few seconds.',
          );
          return false;
        }
        if (principal === false) return false;
        ctx.extra.principal = principal;
        ctx.extra.clientIp = clientIp;
        if (principal?.kind === 'key') {
          const set = byCredential.get(principal.credentialId) ?? new Set();
          set.add(ctx.extra.socket);
          byCredential.set(principal.credentialId, set);
          ctx.extra.socket.once('close', () => {
            set.delete(ctx.extra.socket);
            if (set.size === 0) byCredential.delete(principal.credentialId);
          });
        }
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        // graphql-ws has already put this operation's id among the connection's subscriptions.
        const others = Object.keys(ctx.subscriptions).filter((other) => other !== id).length;
        if (others >= options.maxSubscriptionsPerConnection) {
          return [
            new GraphQLError(
              `This connection already holds ${options.maxSubscriptionsPerConnection} subscriptions.`,
              {
                extensions: { code: 'RATE_LIMITED', limit: options.maxSubscriptionsPerConnection },
              },
            ),
          ];
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          socket: ctx.extra.socket,
          params: payload,
          clientIp: ctx.extra.clientIp,
          requestId: randomUUID(),
          principal: ctx.extra.principal,
          transport: 'ws',
        });
        let document: ReturnType<typeof parse>;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as GraphQLError];
        }
        try {
          const args: ExecutionArgs = {
            schema,
            operationName: payload.operationName,
            document,
            variableValues: payload.variables,
            contextValue: await contextFactory(),
            rootValue: { execute, subscribe },
          };
          const errors = validate(args.schema, args.document);
          if (errors.length > 0) return errors;
          return args;
        } catch (error) {
          return asErrors(error);
        }
      },
    },
    { keepAliveMs: options.keepAliveMs ?? 12_000, logger: options.logger },
  );

  return {
    wss,
    closeForCredentials(credentialIds, code, reason) {
      let closed = 0;
      for (const id of credentialIds) {
        for (const ws of byCredential.get(id) ?? []) {
          ws.close(code, reason);
          closed++;
        }
      }
      return closed;
    },
    close(code, reason) {
      return new Promise((resolve) => {
        for (const ws of wss.clients) ws.close(code, reason);
        const deadline = setTimeout(() => {
          for (const ws of wss.clients) ws.terminate();
        }, 2_000);
        wss.close(() => {
          clearTimeout(deadline);
          resolve();
        });
      });
    },
  };
}
