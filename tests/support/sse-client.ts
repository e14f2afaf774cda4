import { EventSource } from 'eventsource';

export interface SseEvent {
  type: string;
  id: string;
  data: any;
}

export interface SseSession {
  source: EventSource;
  events: SseEvent[];
  /** The `Last-Event-ID` header of each request the client made, in order (null for none). */
  requests: (string | null)[];
  /** How many events the client had received when it made each request, in order. */
  receivedBeforeRequest: number[];
  /** Status codes of the answers, in order. */
  statuses: number[];
  /** Resolves when the end event arrived. */
  ended: Promise<void>;
}

/**
 * A real EventSource on a command's legacy stream, authenticating with `key`. With `cutAfterBytes`
 * the first response is cut off after that many bytes, like a dropped connection: the client
 * reconnects by itself with `Last-Event-ID`.
 */
export function openCommandStream(
  baseUrl: string,
  commandId: string,
  key: string,
  options: { cutAfterBytes?: number; closeOnEnd?: boolean } = {},
): SseSession {
  let cut = options.cutAfterBytes === undefined;
  const session = {
    events: [] as SseEvent[],
    requests: [] as (string | null)[],
    receivedBeforeRequest: [] as number[],
    statuses: [] as number[],
  };
  const source = new EventSource(`${baseUrl}/api/v1/commands/${commandId}/stream`, {
    fetch: async (input, init) => {
      const headers: Record<string, string> = {
        ...(init?.headers as Record<string, string>),
        authorization: `Bearer ${key}`,
      };
      session.requests.push(headers['Last-Event-ID'] ?? null);
      session.receivedBeforeRequest.push(session.events.length);
      const response = await fetch(input, { ...init, headers });
      session.statuses.push(response.status);
      if (cut || !response.body) return response;
      cut = true;
      return new Response(truncate(response.body, options.cutAfterBytes!), {
        status: response.status,
        headers: response.headers,
      });
    },
  });
  let resolveEnded!: () => void;
  const ended = new Promise<void>((resolve) => {
    resolveEnded = resolve;
  });
  const take = (type: string) => (e: MessageEvent) => {
    session.events.push({ type, id: e.lastEventId, data: JSON.parse(e.data) });
    if (type === 'end') {
      if (options.closeOnEnd !== false) source.close();
      resolveEnded();
    }
  };
  source.addEventListener('output', take('output'));
  source.addEventListener('end', take('end'));
  return { source, ...session, ended };
}

/** Passes the first `limit` bytes of `body` on, then ends, and cancels the rest (the server sees the client go). */
function truncate(body: ReadableStream<Uint8Array>, limit: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let passed = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      if (passed + value.length < limit) {
        passed += value.length;
        controller.enqueue(value);
        return;
      }
      controller.enqueue(value.subarray(0, limit - passed));
      passed = limit;
      controller.close();
      await reader.cancel();
    },
    cancel: () => reader.cancel(),
  });
}
