import type { IncomingMessage, ServerResponse } from 'node:http';
import { PayloadTooLargeError } from '../domain/errors.js';
import type { RdevYoga } from '../graphql/yoga.js';

/** Reads a request body, refusing it as soon as it passes `maxBytes` (no unbounded buffering). */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new PayloadTooLargeError(`The request body is larger than ${maxBytes} bytes.`, { maxBytes });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      throw new PayloadTooLargeError(`The request body is larger than ${maxBytes} bytes.`, { maxBytes });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The request yoga sees, built with yoga's own fetch implementation as its Node adapter does: a
 * light object over the Node headers and the body already read (and limited) here, instead of a
 * native `Request` with web streams. Its `signal` (aborted when the client leaves before the answer
 * was sent) is only made when something asks for it: a native `AbortSignal` is costly to create.
 */
export function toYogaRequest(
  yoga: Pick<RdevYoga, 'fetchAPI'>,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  body: Buffer | undefined,
): Request {
  const request = new yoga.fetchAPI.Request(url.href, {
    method: req.method ?? 'GET',
    // yoga's Headers read a Node header object as it is.
    headers: req.headers as HeadersInit,
    body: body && body.length > 0 ? (body as Uint8Array<ArrayBuffer>) : undefined,
  });
  let controller: AbortController | undefined;
  const left = () => res.closed && !res.writableFinished;
  res.once('close', () => {
    if (left()) controller?.abort();
  });
  Object.defineProperty(request, 'signal', {
    get() {
      if (!controller) {
        controller = new AbortController();
        if (left()) controller.abort();
      }
      return controller.signal;
    },
  });
  return request;
}

/** Whether yoga's answer is a stream to forward as it comes (SSE, multipart) rather than one body. */
export function streamKind(response: Response): 'sse' | 'multipart' | null {
  const type = response.headers.get('content-type') ?? '';
  if (type.startsWith('text/event-stream')) return 'sse';
  if (type.startsWith('multipart/')) return 'multipart';
  return null;
}

function nodeHeaders(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') return;
    headers[name] = value;
  });
  return headers;
}

/** Sends a whole (not streamed) Fetch `Response` in one write: head and body together. */
export async function sendWholeResponse(res: ServerResponse, response: Response): Promise<void> {
  // Not `response.body`: on yoga's responses that would wrap the text in a stream first.
  const body = Buffer.from(await response.arrayBuffer());
  if (res.destroyed) return;
  const headers = nodeHeaders(response);
  if (body.length > 0) headers['content-length'] = String(body.length);
  res.writeHead(response.status, response.statusText, headers);
  res.end(body.length > 0 ? body : undefined);
}

/**
 * Streams a Fetch `Response` into a Node response, stopping when the client goes away, or when
 * `stop` aborts: then the rest of the body is dropped and the response ends where it is.
 */
export async function sendFetchResponse(
  res: ServerResponse,
  response: Response,
  stop?: AbortSignal,
): Promise<void> {
  res.writeHead(response.status, response.statusText, nodeHeaders(response));
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const onClose = () => {
    reader.cancel().catch(() => {});
  };
  res.once('close', onClose);
  // A read may wait for the body's next piece however long it takes (the subscription's next
  // event) even after a cancel, so a stop does not wait for it.
  let stopped: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
  if (stop) {
    stopped = new Promise((resolve) => {
      const onStop = () => resolve({ done: true, value: undefined });
      if (stop.aborted) onStop();
      else stop.addEventListener('abort', onStop, { once: true });
    });
    stop.addEventListener('abort', onClose, { once: true });
  }
  try {
    for (;;) {
      const { done, value } = await (stopped ? Promise.race([reader.read(), stopped]) : reader.read());
      if (done || stop?.aborted) break;
      if (!res.write(value)) {
        // Respect back-pressure: a slow client must not make us buffer without bound.
        await new Promise<void>((resolve) => {
          const go = () => {
            res.off('close', go);
            res.off('drain', go);
            resolve();
          };
          res.once('drain', go);
          res.once('close', go);
        });
        if (res.destroyed) break;
      }
    }
  } catch {
    // The stream was cancelled because the client left; nothing to report.
  } finally {
    res.off('close', onClose);
    stop?.removeEventListener('abort', onClose);
    if (!res.writableEnded && !res.destroyed) res.end();
  }
}
