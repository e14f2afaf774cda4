import type { IncomingMessage, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How long a client may take to send a request; answers and streams after it are not limited. */
export interface RequestTimeouts {
  /** Until the request's headers are in. */
  headersTimeoutMs: number;
  /** Until the whole request, headers and body, is in. */
  requestTimeoutMs: number;
  /** Longest pause while the body arrives. */
  bodyIdleTimeoutMs: number;
}

/**
 * The node:http options for the headers and whole-request limits. Node checks them on an
 * interval (30 s unless told): a tenth of the shorter limit keeps a cut-off close to its limit.
 * Both end when the request is in, so long answers, SSE streams and upgraded WebSockets are
 * never cut by them.
 */
export function requestTimeoutOptions(timeouts: RequestTimeouts): ServerOptions {
  return {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(
      100,
      Math.floor(Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs) / 10),
    ),
  };
}

/**
 * Answers 408 and closes the connection when a request body stops arriving for `idleMs`, as node
 * does for the other two limits, so a client that sends half a body and waits holds no
 * connection open until the whole-request limit. Uses the socket's idle timer, which node resets
 * on every byte it reads and replaces when the answer ends.
 */
export function limitBodyIdleTime(req: IncomingMessage, res: ServerResponse, idleMs: number): void {
  if (!hasBody(req)) return;
  const { socket } = req;
  socket.setTimeout(idleMs);
  // Node reports the expiry to the response in progress; a listener keeps it from closing.
  res.on('timeout', () => {
    const received = socket.bytesRead;
    // Bytes that came while this process was too busy to read them are read before the check
    // phase (and re-arm the timer): judge only then.
    setImmediate(() => {
      // The body is in: the answer may be a stream waiting quietly for events, which goes on.
      if (req.complete) socket.setTimeout(0);
      else if (socket.bytesRead === received) stop(res, socket);
    });
  });
}

function stop(res: ServerResponse, socket: Socket): void {
  if (res.headersSent) {
    socket.destroy();
    return;
  }
  res.writeHead(408, { connection: 'close', 'content-length': 0 });
  res.end(() => socket.destroy());
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
