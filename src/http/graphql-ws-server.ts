import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { type ExecutionArgs, GraphQLError } from 'graphql';
import { type WebSocket, WebSocketServer } from 'ws';
import { carriesCredential } from '../domain/credentials.js';
import { DomainError } from '../domain/errors.js';
import type { KeyPrincipal } from '../domain/principal.js';
import type { LiveStreams } from '../engine/live-streams.js';
import { createMaskError } from '../graphql/error-masking.js';
import type { ConnectionCloser } from '../graphql/live-stream-plugin.js';
import type { RdevYoga } from '../graphql/yoga.js';
import type { Logger } from '../observability/logger.js';
import type { AppMetrics } from '../observability/metrics.js';
import type { AuthRequest } from '../services/auth-service.js';
import type { ClientIpResolver } from './client-ip.js';
import { bindGraphQLWs } from './graphql-ws-binding.js';
import { limitWsSendBuffers } from './ws-send-limit.js';

export interface GraphQLWsOptions {
  server: Server;
  yoga: RdevYoga;
  logger: Logger;
  metrics: AppMetrics;
  clientIp: ClientIpResolver;
  /** The one authentication path: for `connection_init` and again for every operation. */
  authenticate(request: AuthRequest): Promise<KeyPrincipal | null>;
  /** Where a connection opened with a key is registered, so its key's revocation closes it. */
  streams: LiveStreams;
  /** Turns infrastructure failures into domain errors (the database down → SERVICE_UNAVAILABLE). */
  translateError?(error: unknown): DomainError | null;
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
}

/** WebSocket close code 1013, "Try Again Later": the server cannot serve the connection now. */
const TRY_AGAIN_LATER = 1013;
/** graphql-ws's close code for a refused key. */
const FORBIDDEN = 4403;

type ConnectionState = {
  clientIp: string;
  /** Whether `connection_init` carried a key: its operations are authenticated with it. */
  keyed: boolean;
};

/**
 * graphql-ws on `/graphql`, executed through `yoga.getEnveloped` so every envelop plugin (armor,
 * metrics, rate limits, live streams) runs for WebSocket operations exactly as for HTTP ones.
 *
 * The key comes in `connection_init` (`connectionParams`), or, on a connection opened without
 * one, in an operation's `extensions.headers` (what GraphiQL sends from its headers pane). Each
 * operation is authenticated again when it starts, through the authentication cache, so a key
 * changed or revoked since the connection opened acts with its present powers.
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
  const maskError = createMaskError(
    (error) => options.logger.error({ err: error }, 'unexpected error in a graphql-ws operation'),
    options.translateError,
  );
  const asErrors = (error: unknown) => [maskError(error, 'Unexpected error.') as GraphQLError];
  const settle = async (run: () => unknown) => {
    try {
      return await run();
    } catch (error) {
      return { errors: asErrors(error) };
    }
  };
  const refuse = (socket: WebSocket, error: DomainError) =>
    socket.close(FORBIDDEN, closeReason(error.message));

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
        const { socket } = ctx.extra;
        const clientIp = options.clientIp.resolve(ctx.extra.remoteAddress, ctx.extra.forwardedFor);
        let principal: KeyPrincipal | null;
        try {
          principal = await options.authenticate({
            fields: ctx.connectionParams,
            query: new URLSearchParams(ctx.extra.search),
            clientIp,
            requestId: randomUUID(),
          });
        } catch (error) {
          if (error instanceof DomainError) {
            refuse(socket, error);
            return false;
          }
          // The key could not be checked (the database is down): not the client's fault, and not
          // a server bug to report with a 4500 and the driver's message. 1013: try again later.
          options.logger.warn({ err: error }, 'could not authenticate a graphql-ws connection');
          socket.close(
            TRY_AGAIN_LATER,
            'The API key cannot be checked right now; reconnect in a few seconds.',
          );
          return false;
        }
        ctx.extra.clientIp = clientIp;
        ctx.extra.keyed = principal !== null;
        if (principal) {
          // Registered so that a sweep closes it when its key stops working, subscriptions or not.
          const unregister = options.streams.open({
            kind: 'connection',
            principal,
            clientIp,
            end: (error) => refuse(socket, error),
          });
          socket.once('close', unregister);
        }
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        const { socket } = ctx.extra;
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
        const { headers, extensions } = splitHeaders(payload.extensions);
        const ownKey = carriesCredential(headers);
        const fromConnection = !ownKey && ctx.extra.keyed === true;
        const clientIp = ctx.extra.clientIp!;
        const requestId = randomUUID();
        let principal: KeyPrincipal | null;
        try {
          principal = await options.authenticate({
            fields: ownKey ? headers : fromConnection ? ctx.connectionParams : undefined,
            clientIp,
            requestId,
          });
        } catch (error) {
          // The connection's own key no longer works: the connection ends, as a sweep would end it.
          if (fromConnection && error instanceof DomainError) refuse(socket, error);
          return asErrors(error);
        }
        const closer: ConnectionCloser = fromConnection
          ? { closeConnection: (code, reason) => socket.close(code, reason) }
          : {};
        const params = { ...payload, extensions };
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          ...closer,
          socket,
          params,
          clientIp,
          requestId,
          principal,
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

/**
 * An operation's `extensions.headers` (GraphiQL puts its headers pane there), taken out of the
 * extensions that go on to execution so the key travels no further.
 */
function splitHeaders(extensions: Record<string, unknown> | null | undefined): {
  headers: Record<string, unknown> | undefined;
  extensions: Record<string, unknown> | undefined;
} {
  if (!extensions || typeof extensions.headers !== 'object' || extensions.headers === null) {
    return { headers: undefined, extensions: extensions ?? undefined };
  }
  const { headers, ...rest } = extensions;
  return { headers: headers as Record<string, unknown>, extensions: rest };
}

/** A close reason fits in 123 bytes of UTF-8. */
function closeReason(message: string): string {
  const bytes = Buffer.from(message);
  return bytes.length <= 123
    ? message
    : `${bytes
        .subarray(0, 120)
        .toString('utf8')
        .replace(/\uFFFD+$/, '')}…`;
}
