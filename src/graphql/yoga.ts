import { EnvelopArmor } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { type GraphQLError, type GraphQLSchema, NoSchemaIntrospectionCustomRule } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { DomainError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import type { Logger } from '../observability/logger.js';
import type { AppMetrics } from '../observability/metrics.js';
import { useCommandOutputPlan } from './command-output-plan.js';
import type { GraphQLContext } from './context.js';
import { corsPolicy } from './cors-policy.js';
import { COST_LIMIT_HINT, useCostLimit } from './cost-limit-plugin.js';
import { createMaskError } from './error-masking.js';
import { COST_DEPTH_FACTOR } from './estimated-cost.js';
import { GRAPHIQL_OPTIONS, renderGraphiQLPage } from './graphiql-page.js';
import { useInputTextGuard } from './input-text-plugin.js';
import { useOperationMetrics } from './metrics-plugin.js';
import { type OperationTracingOptions, useOperationTracing } from './tracing-plugin.js';
import { yogaLogging } from './yoga-logging.js';

export interface ServerContext {
  /**
   * The client address and request id come from the HTTP edge (or graphql-ws); the caller is
   * set by the authentication plugin (graphql-ws sets it per operation).
   */
  clientIp: string;
  requestId: string;
  principal: Principal | null;
}

export interface YogaOptions {
  schema: GraphQLSchema;
  logger: Logger;
  metrics: AppMetrics;
  production: boolean;
  /** Origins besides this server's own whose pages may read answers (RDEV_CORS_ORIGINS). */
  corsOrigins?: readonly string[];
  limits: { maxDepth: number; maxAliases: number; maxDirectives: number; maxTokens: number; maxCost: number };
  /** Turns a request into a context: authenticates and attaches services. */
  buildContext(request: Request, server: ServerContext): Promise<GraphQLContext>;
  /** Runs first, before CSRF checks and parsing: turns each request's key into its caller. */
  authentication: Plugin<object, ServerContext>;
  plugins?: Plugin[];
  /** One span per operation (see `useOperationTracing`); none when absent. */
  tracing?: OperationTracingOptions;
  /** Turns infrastructure failures into domain errors (e.g. database down → SERVICE_UNAVAILABLE). */
  translateError?(error: unknown): DomainError | null;
}

export type RdevYoga = YogaServerInstance<ServerContext, GraphQLContext>;

export function createRdevYoga(options: YogaOptions): RdevYoga {
  // Armor's refusals carry no code of their own; clients get the ones other parse and validation
  // errors have.
  // graphql-armor words every refusal as a syntax error; rdev's say what was refused and why.
  const refusedWith = (code: string, hint?: string) => ({
    onReject: [
      (_ctx: unknown, error: GraphQLError) => {
        (error.extensions as Record<string, unknown>).code ??= code;
        const message = error.message
          .replace(/^Syntax Error: /, '')
          .replace(/^Query Cost limit/, 'Query cost limit');
        error.message = hint ? `${message} ${hint}` : message;
      },
    ],
  });
  const refused = refusedWith('GRAPHQL_VALIDATION_FAILED');
  const armor = new EnvelopArmor({
    maxDepth: { n: options.limits.maxDepth, ...refused },
    maxAliases: { n: options.limits.maxAliases, ...refused },
    maxDirectives: { n: options.limits.maxDirectives, ...refused },
    maxTokens: { n: options.limits.maxTokens, ...refusedWith('GRAPHQL_PARSE_FAILED') },
    costLimit: {
      maxCost: options.limits.maxCost,
      depthCostFactor: COST_DEPTH_FACTOR,
      ...refusedWith('GRAPHQL_VALIDATION_FAILED', COST_LIMIT_HINT),
    },
    blockFieldSuggestion: { enabled: options.production },
  }).protect();
  return createYoga<ServerContext, GraphQLContext>({
    schema: options.schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    batching: false,
    cors: corsPolicy(options.corsOrigins ?? []),
    // The HTTP edge reads the body under RDEV_MAX_BODY_BYTES before yoga sees it; yoga's own limit
    // would pipe every body through one more stream.
    maxRequestBodySize: false,
    healthCheckEndpoint: false as unknown as string,
    // Over HTTP the page is served compressed by the GraphiQL route before yoga sees the request;
    // this renders it for callers of `yoga.fetch`.
    graphiql: options.production ? false : GRAPHIQL_OPTIONS,
    renderGraphiQL: renderGraphiQLPage,
    logging: yogaLogging(options.logger),
    maskedErrors: {
      maskError: createMaskError(
        (error) => options.logger.error({ err: error }, 'unexpected error in GraphQL'),
        options.translateError,
      ),
    },
    context: async ({ request, ...server }) =>
      options.buildContext(request, server as unknown as ServerContext) as unknown as Promise<GraphQLContext>,
    plugins: [
      options.authentication,
      // Keys travel in headers, so a cross-site form post cannot carry one; this also stops
      // simple GETs and form posts from other origins on the unauthenticated fields.
      useCSRFPrevention({
        requestHeaders: ['x-graphql-csrf', 'authorization', 'x-api-key', 'graphql-require-preflight'],
      }),
      ...armor.plugins,
      useCostLimit(options.limits.maxCost),
      useInputTextGuard(),
      ...(options.production ? [useIntrospectionWithKeysOnly()] : []),
      useCommandOutputPlan(),
      ...(options.tracing ? [useOperationTracing(options.tracing)] : []),
      useOperationMetrics(options.metrics),
      ...(options.plugins ?? []),
    ],
  });
}

/**
 * In production the schema is not introspected without a key: GraphiQL, which needs it, is a
 * development tool there is none of in production, and the schema is published anyway
 * (`schema/schema.graphql`) for tools that want it. With any valid key introspection works.
 */
function useIntrospectionWithKeysOnly(): Plugin {
  return {
    onValidate: ({ context, addValidationRule }) => {
      if (!(context as Partial<ServerContext>).principal) addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
