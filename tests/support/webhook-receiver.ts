import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  /** The exact bytes received. */
  body: Buffer;
  path: string;
}

/** Answers one request; `n` counts requests from 1. Without a handler every request gets 200. */
export type ReceiverHandler = (
  request: ReceivedWebhook,
  res: ServerResponse,
  n: number,
) => void | Promise<void>;

export interface WebhookReceiver {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  port: number;
  received: ReceivedWebhook[];
  /** TCP connections accepted, whether or not a request followed. */
  connections(): number;
  /** Resolves once `count` requests have arrived (or rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

/**
 * A real HTTP receiver on 127.0.0.1, recording every request's raw bytes: on port 0, or on `port`
 * (to bring a receiver back where one was before).
 */
export async function startWebhookReceiver(handler?: ReceiverHandler, port = 0): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = { headers: req.headers, body: Buffer.concat(chunks), path: req.url ?? '/' };
    received.push(request);
    for (const w of waiters.filter((w) => received.length >= w.count)) w.resolve();
    try {
      if (handler) await handler(request, res, received.length);
      else res.end('ok');
    } catch {
      res.destroy();
    }
  });
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${bound}`,
    port: bound,
    received,
    connections: () => connections,
    waitFor(count, timeoutMs = 10_000) {
      if (received.length >= count) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${count} webhook requests, got ${received.length}`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(received);
          },
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
