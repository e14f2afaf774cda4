/** One signed HTTP POST of a delivery. */
export interface WebhookRequest {
  url: string;
  /** The Standard Webhooks headers (and content type). */
  headers: Record<string, string>;
  /** The exact bytes the signature covers. */
  body: string;
  /** Add `traceparent` (and `tracestate`) of the attempt's span; only webhooks that opted in ask for it. */
  sendTraceContext?: boolean;
}

/**
 * How an attempt ended: the receiver answered (any status), it never did (`error`: refused,
 * timed out, reset), or rdev cut the attempt short itself (`abandoned`: this replica is shutting
 * down), which says nothing about the receiver.
 */
export type WebhookSendResult =
  | {
      kind: 'response';
      statusCode: number;
      /** The `Retry-After` header, as sent. */
      retryAfter: string | null;
      /** The first few KB of the body, as text. */
      excerpt: string;
      durationMs: number;
    }
  | { kind: 'error'; error: string; durationMs: number }
  | { kind: 'abandoned'; reason: string; durationMs: number };

/**
 * Sends webhook requests. Implementations connect only to allowed addresses (checked at the
 * moment of connecting), follow no redirects, bound every attempt in time, and read at most a
 * small excerpt of the response. They never throw for a receiver's misbehaviour.
 */
export interface WebhookSender {
  send(request: WebhookRequest): Promise<WebhookSendResult>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}
