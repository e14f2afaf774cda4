import { databaseUnavailable } from '../adapters/postgres/database-errors.js';
import type { Config } from '../config.js';
import type { LiveStreams } from '../engine/live-streams.js';
import type { RateLimiter } from '../engine/rate-limiter.js';
import { renderGraphiQLPage } from '../graphql/graphiql-page.js';
import type { RdevYoga } from '../graphql/yoga.js';
import { ClientIpResolver } from '../http/client-ip.js';
import { createConsoleRoutes } from '../http/console-routes.js';
import { createFileRoutes } from '../http/file-routes.js';
import { createGraphiQLRoute } from '../http/graphiql-route.js';
import { attachGraphQLWs } from '../http/graphql-ws-server.js';
import { createHttpServer, type ReadinessReport } from '../http/http-server.js';
import { createLegacyRoutes } from '../http/legacy-routes.js';
import { listen } from '../http/listen.js';
import type { HttpShutdown } from '../lifecycle/shutdown.js';
import type { Services } from '../services/services.js';
import type { Telemetry } from './build-telemetry.js';

export interface HttpDeps extends Telemetry {
  yoga: RdevYoga;
  services: Services;
  rateLimiter: RateLimiter;
  liveStreams: LiveStreams;
  readiness(): Promise<ReadinessReport>;
}

export interface AppHttp extends HttpShutdown {
  /** Listens on the configured host and port; resolves with the base URL. */
  listen(): Promise<{ url: string; port: number }>;
}

/**
 * The one HTTP server (health, readiness, metrics, GraphQL, the legacy REST/SSE routes and the
 * console) and graphql-ws on the same port, both resolving client addresses through the
 * configured trusted proxies.
 */
export function buildHttp(config: Config, deps: HttpDeps): AppHttp {
  const { yoga, logger, metrics, services, rateLimiter, liveStreams } = deps;
  const clientIp = new ClientIpResolver(config.trustedProxies);
  const legacyRoutes = createLegacyRoutes({
    commands: services.commands,
    output: services.commandOutput,
    metrics,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    keepAliveMs: config.streams.keepAliveMs,
    streams: liveStreams,
  });
  const server = createHttpServer({
    yoga,
    logger,
    metrics,
    clientIp,
    maxBodyBytes: config.maxBodyBytes,
    timeouts: config.http,
    readiness: deps.readiness,
    tracing: deps.tracing,
    translateError: databaseUnavailable,
    routes: [
      createFileRoutes({ files: services.files, logger, maxUploadBytes: config.files.maxUploadBytes }),
      legacyRoutes.handle,
      createConsoleRoutes(),
      ...(config.production ? [] : [createGraphiQLRoute(renderGraphiQLPage)]),
    ],
    rateLimit: (principal, ip) => rateLimiter.checkCaller(principal, ip, 1),
    authenticate: (req, url, ip, requestId) =>
      services.auth.authenticateRequest({
        fields: req.headers,
        query: url.searchParams,
        clientIp: ip,
        requestId,
      }),
  });
  const ws = attachGraphQLWs({
    keepAliveMs: config.streams.keepAliveMs,
    maxBufferedBytes: config.streams.wsMaxBufferedBytes,
    maxSubscriptionsPerConnection: config.rateLimits.maxSubscriptionsPerConnection,
    server,
    yoga,
    logger,
    metrics,
    clientIp,
    authenticate: (request) => services.auth.authenticateRequest(request),
    streams: liveStreams,
    translateError: databaseUnavailable,
  });
  return {
    listen: () => listen(server, config.host, config.port),
    stopAccepting: () => new Promise<void>((resolve) => server.close(() => resolve())),
    async endStreams() {
      // SSE clients reconnect (to another replica): legacy ones with Last-Event-ID, GraphQL
      // ones subscribe again with `after`.
      legacyRoutes.closeStreams();
      server.endStreams();
      await ws.close(1001, 'server shutting down');
    },
    closeIdleConnections: () => server.closeIdleConnections(),
    closeAllConnections: () => server.closeAllConnections(),
  };
}
