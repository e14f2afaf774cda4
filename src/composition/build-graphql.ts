import { databaseUnavailable } from '../adapters/postgres/database-errors.js';
import type { Config } from '../config.js';
import type { LiveStreams } from '../engine/live-streams.js';
import type { RateLimiter } from '../engine/rate-limiter.js';
import { useAuthentication } from '../graphql/auth-plugin.js';
import type { GraphQLContext } from '../graphql/context.js';
import { useLiveStreams } from '../graphql/live-stream-plugin.js';
import { OutputBudget } from '../graphql/output-budget.js';
import { useRateLimit } from '../graphql/rate-limit-plugin.js';
import { schema } from '../graphql/schema.js';
import { createRdevYoga, type RdevYoga, type ServerContext } from '../graphql/yoga.js';
import type { Services } from '../services/services.js';
import type { Telemetry } from './build-telemetry.js';

export interface GraphQLDeps extends Telemetry {
  services: Services;
  rateLimiter: RateLimiter;
  liveStreams: LiveStreams;
}

/**
 * graphql-yoga over the Pothos schema: every request authenticated first, every operation rate
 * limited, every subscription counted against its key's open streams; database outages answer
 * SERVICE_UNAVAILABLE.
 */
export function buildGraphQL(config: Config, deps: GraphQLDeps): RdevYoga {
  const { services } = deps;
  const buildContext = async (_request: Request, server: ServerContext): Promise<GraphQLContext> => ({
    principal: server.principal ?? null,
    requestId: server.requestId,
    clientIp: server.clientIp,
    services,
    outputBudget: new OutputBudget(config.graphql.maxOutputBytes),
  });
  return createRdevYoga({
    schema,
    logger: deps.logger,
    metrics: deps.metrics,
    production: config.production,
    corsOrigins: config.corsOrigins,
    limits: config.graphql,
    buildContext,
    tracing: { tracer: deps.tracing.tracer, documentMaxBytes: deps.tracing.graphqlDocumentMaxBytes },
    translateError: databaseUnavailable,
    authentication: useAuthentication({
      authenticate: (request) => services.auth.authenticateRequest(request),
      translateError: databaseUnavailable,
    }),
    plugins: [useRateLimit(deps.rateLimiter), useLiveStreams(deps.liveStreams)],
  });
}
