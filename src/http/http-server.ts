import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type Attributes, context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import { DomainError, RateLimitedError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import type { RateLimitDecision } from '../domain/rate-limit.js';
import { rateLimitHeaders } from '../engine/rate-limiter.js';
import { graphqlErrorResponse } from '../graphql/error-response.js';
import type { RdevYoga } from '../graphql/yoga.js';
import { withRequestId } from '../observability/log-context.js';
import type { Logger } from '../observability/logger.js';
import type { AppMetrics } from '../observability/metrics.js';
import type { AppTracing } from '../observability/tracing.js';
import type { ClientIpResolver } from './client-ip.js';
import { readBody, sendFetchResponse, sendWholeResponse, streamKind, toYogaRequest } from './fetch-bridge.js';
import { sendError, sendJson } from './json-response.js';
import { limitBodyIdleTime, type RequestTimeouts, requestTimeoutOptions } from './request-timeouts.js';

/** A request as the routes see it: the Node objects plus what the edge resolved. */
export interface RequestInfo {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  requestId: string;
  clientIp: string;
  /** The authenticated caller; `null` when the request carried no key. */
  principal: Principal | null;
}

/** A route handler returns `false` when the path is not its own. */
export type RouteHandler = (info: RequestInfo) => Promise<boolean>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, 'ok' | string>;
}

export interface HttpServerOptions {
  yoga: RdevYoga;
  logger: Logger;
  metrics: AppMetrics;
  clientIp: ClientIpResolver;
  maxBodyBytes: number;
  readiness(): Promise<ReadinessReport>;
  /** Rate limit for the legacy REST routes (GraphQL operations are limited by a Yoga plugin). */
  rateLimit?(principal: Principal | null, clientIp: string): Promise<RateLimitDecision>;
  /** Resolves the caller of a legacy route's request; throws UNAUTHENTICATED for a bad key. */
  authenticate(
    req: IncomingMessage,
    url: URL,
    clientIp: string,
    requestId: string,
  ): Promise<Principal | null>;
  routes?: RouteHandler[];
  /** Turns infrastructure failures into domain errors (e.g. database down → SERVICE_UNAVAILABLE). */
  translateError?(error: unknown): DomainError | null;
  /** Slow-client protection: how long sending a request may take. */
  timeouts: RequestTimeouts;
  /** A server span per request (not for probes and scrapes); none when absent. */
  tracing?: HttpTracing;
}

export type HttpTracing = Pick<AppTracing, 'tracer' | 'extract'>;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Probes and scrapes come every few seconds and say nothing about a request: no spans for them. */
const UNTRACED = new Set(['/health', '/ready', '/metrics']);
const ROUTES = new Set(['/graphql', '/health', '/ready', '/metrics']);

/**
 * The server span of a request, continuing the caller's trace when it sent a valid `traceparent`.
 * Attributes follow the HTTP semantic conventions; the query string is left out (legacy clients
 * may put things there that are not for a tracing backend).
 */
function startServerSpan(tracing: HttpTracing, req: IncomingMessage, url: URL, clientIp: string): Span {
  const method = req.method ?? 'GET';
  const route = ROUTES.has(url.pathname) ? url.pathname : null;
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_URL_PATH]: url.pathname,
    [ATTR_URL_SCHEME]: 'http',
    [ATTR_CLIENT_ADDRESS]: clientIp,
  };
  if (route) attributes[ATTR_HTTP_ROUTE] = route;
  const userAgent = req.headers['user-agent'];
  if (userAgent) attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent.slice(0, 256);
  return tracing.tracer.startSpan(
    route ? `${method} ${route}` : method,
    { kind: SpanKind.SERVER, attributes },
    tracing.extract(req.headers),
  );
}

function routeLabel(path: string): string {
  if (path === '/graphql' || path === '/health' || path === '/ready' || path === '/metrics') return path;
  if (path.startsWith('/api/v1/')) return '/api/v1';
  return 'other';
}

export interface HttpServer extends Server {
  /**
   * Ends every open GraphQL-over-SSE response without a `complete` event (shutdown), so clients
   * see a dropped stream and subscribe again, elsewhere, with `after` set to the last seq seen.
   */
  endStreams(): void;
}

/** The one `node:http` server: health, readiness, metrics, the legacy routes and GraphQL. */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { yoga, logger, metrics } = options;
  const streams = new Set<AbortController>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = routeLabel(url.pathname);
    const incomingId = req.headers['x-request-id'];
    const requestId =
      typeof incomingId === 'string' && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
    const clientIp = options.clientIp.resolve(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    res.setHeader('x-request-id', requestId);
    res.once('finish', () => {
      metrics.httpRequests.inc({
        method: req.method ?? 'GET',
        route,
        status: `${Math.floor(res.statusCode / 100)}xx`,
      });
      if (res.getHeader('content-type')?.toString().startsWith('text/event-stream')) return;
      metrics.httpDuration.observe(
        { method: req.method ?? 'GET', route },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });

    const span =
      options.tracing && !UNTRACED.has(url.pathname)
        ? startServerSpan(options.tracing, req, url, clientIp)
        : null;
    if (span) {
      res.once('close', () => {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
        if (res.statusCode >= 500) {
          span.setAttribute(ATTR_ERROR_TYPE, String(res.statusCode));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      });
    }
    const parent = span ? trace.setSpan(context.active(), span) : context.active();
    const requestContext = withRequestId(parent, requestId);
    res.once('close', () => {
      // One access line per request, with the request's ids; the query string is left out.
      const fields = {
        method: req.method ?? 'GET',
        path: url.pathname,
        status: res.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
        clientIp,
      };
      const level = UNTRACED.has(url.pathname) ? 'debug' : 'info';
      context.with(requestContext, () => logger[level](fields, 'request completed'));
    });
    // Everything the request does (logs, GraphQL, queries) runs in this context.
    return context.with(requestContext, () => respond(req, res, url, requestId, clientIp));
  };

  const respond = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    requestId: string,
    clientIp: string,
  ) => {
    try {
      if (url.pathname === '/health') return sendJson(res, 200, { status: 'ok' });
      if (url.pathname === '/ready') {
        const report = await options.readiness();
        return sendJson(res, report.ready ? 200 : 503, {
          status: report.ready ? 'ready' : 'not ready',
          checks: report.checks,
        });
      }
      if (url.pathname === '/metrics') {
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
        return;
      }
      // The legacy routes; GraphQL authenticates inside yoga, on the same path.
      let principal: Principal | null = null;
      if (url.pathname.startsWith('/api/')) {
        principal = await options.authenticate(req, url, clientIp, requestId);
        if (options.rateLimit) {
          const decision = await options.rateLimit(principal, clientIp);
          for (const [name, value] of Object.entries(rateLimitHeaders(decision))) res.setHeader(name, value);
          if (!decision.allowed) throw new RateLimitedError(decision.resetSeconds);
        }
      }
      for (const route of options.routes ?? []) {
        if (await route({ req, res, url, requestId, clientIp, principal })) return;
      }
      if (url.pathname === '/graphql') {
        const method = req.method ?? 'GET';
        const body =
          method === 'GET' || method === 'HEAD' ? undefined : await readBody(req, options.maxBodyBytes);
        const request = toYogaRequest(yoga, req, res, url, body);
        // Not `yoga.fetch`, which would make the request's abort signal at once to race against it.
        const response = await yoga.handleRequest(request, { clientIp, requestId, principal: null });
        const kind = streamKind(response);
        if (kind === null) {
          await sendWholeResponse(res, response);
          return;
        }
        if (kind === 'multipart') {
          await sendFetchResponse(res, response);
          return;
        }
        const stop = new AbortController();
        streams.add(stop);
        try {
          await sendFetchResponse(res, response, stop.signal);
        } finally {
          streams.delete(stop);
        }
        return;
      }
      sendJson(res, 404, {
        error: { code: 'NOT_FOUND', message: `No route for ${req.method} ${url.pathname}.` },
      });
    } catch (caught) {
      const error = caught instanceof DomainError ? caught : (options.translateError?.(caught) ?? caught);
      if (!(error instanceof DomainError))
        logger.error({ err: error, requestId }, 'unhandled error in HTTP handler');
      if (url.pathname === '/graphql' && error instanceof DomainError && !res.headersSent) {
        const { status, headers, body } = graphqlErrorResponse(error);
        return sendJson(res, status, body, headers);
      }
      sendError(res, error);
    }
  };

  const server = createServer(requestTimeoutOptions(options.timeouts), (req, res) => {
    limitBodyIdleTime(req, res, options.timeouts.bodyIdleTimeoutMs);
    handle(req, res).catch((error) => {
      logger.error({ err: error }, 'HTTP handler failed');
      if (!res.headersSent) sendError(res, error);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  return Object.assign(server, {
    endStreams() {
      for (const stop of [...streams]) stop.abort();
    },
  });
}
