import type { WebSocket, WebSocketServer } from 'ws';

/** The close code for a client that reads too slowly: 1008, policy violation. */
export const SLOW_CONSUMER_CLOSE_CODE = 1008;

export interface WsSendLimitOptions {
  /** Bytes that may wait in one connection's send buffer. */
  maxBufferedBytes: number;
  /** How long a closing slow client gets to read the close frame before its socket is cut. */
  closeGraceMs?: number;
  onSlowConsumer?(socket: WebSocket, bufferedBytes: number): void;
}

/**
 * Bounds what one WebSocket connection can make the server hold. graphql-ws sends each event of a
 * subscription only once the previous one left the process, but a connection carries many
 * subscriptions, and a client that stops reading fills the socket buffer with all of them. Past
 * `maxBufferedBytes` the connection is closed (1008) rather than buffered: the client reconnects
 * and resumes each subscription from the last `seq` it saw, so nothing is lost.
 */
export function limitWsSendBuffers(wss: WebSocketServer, options: WsSendLimitOptions): void {
  wss.on('connection', (socket: WebSocket) => {
    const send = socket.send.bind(socket);
    let tripped = false;
    const trip = (buffered: number) => {
      tripped = true;
      options.onSlowConsumer?.(socket, buffered);
      socket.close(
        SLOW_CONSUMER_CLOSE_CODE,
        `Slow consumer: more than ${options.maxBufferedBytes} bytes waited to be sent; reconnect and resume with "after".`,
      );
      // A client that does not read will not read the close frame either.
      setTimeout(() => socket.terminate(), options.closeGraceMs ?? 2_000).unref();
    };
    socket.send = ((data: unknown, optionsOrCallback?: unknown, callback?: unknown) => {
      const done = (typeof optionsOrCallback === 'function' ? optionsOrCallback : callback) as
        | ((error?: Error) => void)
        | undefined;
      if (!tripped) {
        const size = typeof data === 'string' ? Buffer.byteLength(data) : ((data as Buffer)?.length ?? 0);
        if (socket.bufferedAmount + size > options.maxBufferedBytes) trip(socket.bufferedAmount + size);
      }
      if (tripped) {
        // Dropped: the connection is going away. The sender is told it went, so it stops waiting.
        if (done) queueMicrotask(() => done());
        return;
      }
      (send as (...args: unknown[]) => void)(data, optionsOrCallback, callback);
    }) as typeof socket.send;
  });
}
