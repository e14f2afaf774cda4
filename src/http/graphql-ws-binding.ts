import type { IncomingMessage } from 'node:http';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../observability/logger.js';

/**
 * What a connection keeps of its upgrade request: the peer address and `X-Forwarded-For`, not
 * the request itself, which would stay in memory for the life of the connection.
 */
export interface WsExtra {
  readonly socket: WebSocket;
  readonly remoteAddress: string | undefined;
  readonly forwardedFor: string | string[] | undefined;
  /** The query string of the upgrade request's URL: a key found there is refused. */
  readonly search: string;
}

/**
 * graphql-ws sends a subscription's next message once the previous one was sent. Below this many
 * bytes waiting in the connection's buffer a message counts as sent when it is queued, so the
 * messages of one turn can share a write; above it, the next waits for the socket, which bounds
 * what a slow reader makes the server hold.
 */
const SEND_AHEAD_BYTES = 64 * 1024;

/** Messages only a server sends. graphql-ws throws on them, which its own binding turns into 4500. */
const SERVER_ONLY_TYPES = new Set(['connection_ack', 'next', 'error']);

/**
 * Binds graphql-ws's protocol engine to a `ws` server, in place of `graphql-ws/use/ws`, for two
 * reasons. The protocol answers a message a client may not send with 4400, but the library's
 * binding closes with 4500 "Internal server error" and writes to the console when a client sends
 * `connection_ack`, `next` or `error`: a client's mistake reported as a server fault. And an
 * error inside the engine is logged through rdev's logger, never echoed to the client.
 */
export function bindGraphQLWs<E extends Record<PropertyKey, unknown>>(
  wss: WebSocketServer,
  options: ServerOptions<Record<string, unknown>, WsExtra & Partial<E>>,
  { keepAliveMs, logger }: { keepAliveMs: number; logger: Logger },
): void {
  const server = makeServer(options);
  wss.options.handleProtocols = handleProtocols;

  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const internalError = (err: unknown, what: string) => {
      logger.error({ err }, what);
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    };
    socket.once('error', (err) => internalError(err, 'graphql-ws socket error'));

    // A client that stops answering pings is gone; free what it holds.
    let pongWait: NodeJS.Timeout | undefined;
    const pinger =
      keepAliveMs > 0
        ? setInterval(() => {
            if (socket.readyState !== socket.OPEN) return;
            pongWait ??= setTimeout(() => socket.terminate(), keepAliveMs);
            socket.ping();
          }, keepAliveMs)
        : undefined;
    socket.on('pong', () => {
      clearTimeout(pongWait);
      pongWait = undefined;
    });

    // The messages sent in one turn of the event loop (a page of replayed output, say) leave in
    // one write: the socket is corked at the first and uncorked once the turn's work is done.
    // Each write is a system call that on loopback also wakes the reader, and one per message
    // was most of the CPU of a replay.
    const raw = request.socket;
    let corked = false;
    const uncork = () => {
      corked = false;
      raw.uncork();
    };
    const coalesce = () => {
      if (corked) return;
      corked = true;
      raw.cork();
      process.nextTick(uncork);
    };

    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) => {
          if (socket.readyState !== socket.OPEN) return Promise.resolve();
          coalesce();
          if (socket.bufferedAmount + data.length < SEND_AHEAD_BYTES) {
            // A failed write closes the socket, which ends the subscriptions; nothing to do here.
            socket.send(data, () => {});
            return Promise.resolve();
          }
          return new Promise<void>((resolve, reject) => {
            socket.send(data, (err) => (err ? reject(err) : resolve()));
          });
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data) => {
            const text = String(data);
            const type = serverOnlyType(text);
            if (type) {
              socket.close(CloseCode.BadRequest, `A client may not send a ${type} message`);
              return;
            }
            try {
              await handle(text);
            } catch (err) {
              internalError(err, 'unexpected error handling a graphql-ws message');
            }
          }),
      },
      {
        socket,
        remoteAddress: request.socket.remoteAddress,
        forwardedFor: request.headers['x-forwarded-for'],
        search: new URL(request.url ?? '/', 'http://localhost').search,
      } as WsExtra & Partial<E>,
    );

    socket.once('close', (code, reason) => {
      clearInterval(pinger);
      clearTimeout(pongWait);
      closed(code, String(reason)).catch((err) =>
        logger.error({ err }, 'unexpected error closing a graphql-ws connection'),
      );
    });
  });
}

/** The type of a well-formed message that only a server may send; undefined for anything else. */
function serverOnlyType(text: string): string | undefined {
  // Cheap test first: a client's subscribe carries its query, which is not worth parsing twice.
  if (!/"type"\s*:\s*"(connection_ack|next|error)"/.test(text)) return undefined;
  try {
    const message: unknown = JSON.parse(text);
    const type = (message as { type?: unknown } | null)?.type;
    return typeof type === 'string' && SERVER_ONLY_TYPES.has(type) ? type : undefined;
  } catch {
    return undefined;
  }
}
