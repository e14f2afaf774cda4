import { context, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import { Agent, request } from 'undici';
import { injectTraceContext } from '../../observability/trace-context.js';
import type { WebhookRequest, WebhookSender, WebhookSendResult } from '../../ports/webhook-sender.js';
import type { HostResolver } from '../../ports/webhook-target-guard.js';
import { guardedConnector } from './guarded-connector.js';
import type { WebhookAddressPolicy } from './webhook-address-policy.js';

export interface UndiciWebhookSenderOptions {
  policy: WebhookAddressPolicy;
  resolve: HostResolver;
  /** Longest wait for the connection, the response headers, or the next body chunk. */
  attemptTimeoutMs: number;
  /** Longest time one attempt may take in all, however the receiver trickles. */
  deadlineMs: number;
  /** Response bytes kept as the excerpt; the rest is never read. */
  excerptBytes: number;
  userAgent: string;
  /** A client span per request, whose context goes out as `traceparent`. */
  tracer?: Tracer;
}

/**
 * Sends webhook requests with undici through the guarded connector. Redirects are not followed
 * (undici's default): a 3xx comes back as a response like any other. The response body is read
 * only up to the excerpt size and then the connection is dropped, so a 50 MB answer costs a few
 * KB; the deadline aborts the whole attempt, so a receiver trickling bytes cannot stretch it.
 */
export class UndiciWebhookSender implements WebhookSender {
  private readonly agent: Agent;
  /** The deadline controllers of the attempts in flight. */
  private readonly inFlight = new Set<AbortController>();

  constructor(private readonly options: UndiciWebhookSenderOptions) {
    this.agent = new Agent({
      connect: guardedConnector({
        policy: options.policy,
        resolve: options.resolve,
        connectTimeoutMs: options.attemptTimeoutMs,
      }),
      headersTimeout: options.attemptTimeoutMs,
      bodyTimeout: options.attemptTimeoutMs,
      keepAliveTimeout: 4_000,
    });
  }

  async send(webhookRequest: WebhookRequest): Promise<WebhookSendResult> {
    const span = this.startSpan(webhookRequest.url);
    const headers: Record<string, string> = {};
    // Trace ids tell a receiver about rdev's internal traces; only webhooks that opted in get them.
    if (webhookRequest.sendTraceContext) {
      injectTraceContext(headers, span ? trace.setSpan(context.active(), span) : context.active());
    }
    const result = await this.sendWith(webhookRequest, headers);
    if (span) {
      if (result.kind === 'response') {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, result.statusCode);
        if (result.statusCode >= 400) span.setAttribute(ATTR_ERROR_TYPE, String(result.statusCode));
      } else {
        span.setAttribute(ATTR_ERROR_TYPE, result.kind === 'error' ? 'request_failed' : 'abandoned');
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: result.kind === 'error' ? result.error : result.reason,
        });
      }
      span.end();
    }
    return result;
  }

  /**
   * The URL's path and query are left out of the span: receivers often put their own secret
   * there (Slack-style hook URLs).
   */
  private startSpan(url: string): Span | undefined {
    if (!this.options.tracer) return undefined;
    let target: URL | null = null;
    try {
      target = new URL(url);
    } catch {
      // Validated when the webhook was saved; an unparsable URL fails in the request below.
    }
    return this.options.tracer.startSpan('POST', {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: 'POST',
        ...(target
          ? {
              [ATTR_SERVER_ADDRESS]: target.hostname,
              [ATTR_SERVER_PORT]: Number(target.port || (target.protocol === 'https:' ? 443 : 80)),
              [ATTR_URL_SCHEME]: target.protocol.replace(':', ''),
            }
          : {}),
      },
    });
  }

  private async sendWith(
    webhookRequest: WebhookRequest,
    traceHeaders: Record<string, string>,
  ): Promise<WebhookSendResult> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    const deadline = new AbortController();
    this.inFlight.add(deadline);
    const timer = setTimeout(
      () => deadline.abort(new DeadlineError(this.options.deadlineMs)),
      this.options.deadlineMs,
    );
    try {
      const response = await request(webhookRequest.url, {
        dispatcher: this.agent,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': this.options.userAgent,
          ...traceHeaders,
          ...webhookRequest.headers,
        },
        body: webhookRequest.body,
        signal: deadline.signal,
      });
      const excerpt = await readExcerpt(response.body, this.options.excerptBytes);
      const retryAfter = response.headers['retry-after'];
      return {
        kind: 'response',
        statusCode: response.statusCode,
        retryAfter: Array.isArray(retryAfter) ? (retryAfter[0] ?? null) : (retryAfter ?? null),
        excerpt,
        durationMs: elapsed(),
      };
    } catch (error) {
      if (deadline.signal.reason instanceof ShutdownError) {
        return { kind: 'abandoned', reason: deadline.signal.reason.message, durationMs: elapsed() };
      }
      return { kind: 'error', error: this.describe(error), durationMs: elapsed() };
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(deadline);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  /**
   * Cuts off the attempts in flight (the end of a shutdown's grace period): each ends
   * `abandoned`: recorded, and due again at once for another replica, with no retry used.
   */
  abort(): void {
    for (const attempt of this.inFlight) attempt.abort(new ShutdownError());
  }

  private describe(error: unknown): string {
    const chain: unknown[] = [];
    for (let e: unknown = error; e instanceof Error && chain.length < 5; e = e.cause) chain.push(e);
    for (const e of chain as (Error & { code?: string })[]) {
      if (e.name === 'BlockedAddressError' || e instanceof DeadlineError || e instanceof ShutdownError) {
        return e.message;
      }
      switch (e.code) {
        case 'UND_ERR_HEADERS_TIMEOUT':
          return `no response within ${this.options.attemptTimeoutMs} ms`;
        case 'UND_ERR_BODY_TIMEOUT':
          return `the response stalled for ${this.options.attemptTimeoutMs} ms`;
        case 'UND_ERR_CONNECT_TIMEOUT':
          return `could not connect within ${this.options.attemptTimeoutMs} ms`;
        case 'ECONNREFUSED':
          return 'connection refused';
        case 'ECONNRESET':
        case 'UND_ERR_SOCKET':
          return 'the receiver closed the connection';
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
          return 'the host name does not resolve';
      }
    }
    const first = chain[0];
    if (first instanceof Error && (first.name === 'AbortError' || first.name === 'TimeoutError')) {
      return `the attempt took longer than ${this.options.deadlineMs} ms`;
    }
    return first instanceof Error ? first.message : String(error);
  }
}

class ShutdownError extends Error {
  constructor() {
    super('rdev shut down before the receiver answered');
    this.name = 'ShutdownError';
  }
}

class DeadlineError extends Error {
  constructor(ms: number) {
    super(`the attempt took longer than ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

/** The first `limit` bytes of a body as text; stops reading (and drops the connection) past that. */
async function readExcerpt(
  body: AsyncIterable<Buffer> & { destroy(): void },
  limit: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) break;
    }
  } catch {
    // A body cut short (deadline, reset) still leaves the status; keep what arrived.
  } finally {
    if (size >= limit) body.destroy();
  }
  // Decoding may end inside a UTF-8 sequence; the decoder turns that into U+FFFD.
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, limit));
}
