import type { AddressInfo } from 'node:net';
import { migrations } from '../migrations/index.js';
import { AesGcmSecretBox } from './adapters/crypto/aes-gcm-secret-box.js';
import { DnsWebhookTargetGuard } from './adapters/http/dns-webhook-target-guard.js';
import { systemHostResolver } from './adapters/http/host-resolver.js';
import { UndiciWebhookSender } from './adapters/http/undici-webhook-sender.js';
import { WebhookAddressPolicy } from './adapters/http/webhook-address-policy.js';
import type { KubeApiGuard } from './adapters/kubernetes/kube-api-guard.js';
import { LocalExecTransport } from './adapters/local/local-exec-transport.js';
import { LocalProjectSource } from './adapters/local/local-project-source.js';
import { LocalWorkspaceFiles } from './adapters/local/local-workspace-files.js';
import { InProcessEventBus } from './adapters/memory/in-process-event-bus.js';
import { MemoryRateLimitStore } from './adapters/memory/memory-rate-limit-store.js';
import { OtelCommandTracing } from './adapters/opentelemetry/otel-command-tracing.js';
import { type DatabaseHandle, openReachableDatabase } from './adapters/postgres/database.js';
import { databaseUnavailable } from './adapters/postgres/database-errors.js';
import { migrateToLatest } from './adapters/postgres/migrator.js';
import { PostgresEventBus } from './adapters/postgres/postgres-event-bus.js';
import { PostgresRateLimitStore } from './adapters/postgres/postgres-rate-limit-store.js';
import { createPostgresStores } from './adapters/postgres/postgres-stores.js';
import { PostgresUnitOfWork } from './adapters/postgres/postgres-unit-of-work.js';
import { QueryInstrumentation } from './adapters/postgres/query-instrumentation.js';
import { SupervisorRuntime } from './adapters/supervisor/supervisor-runtime.js';
import type { Config } from './config.js';
import { systemPrincipal } from './domain/principal.js';
import { WEBHOOK_RESPONSE_EXCERPT_BYTES } from './domain/webhook.js';
import { useAuthentication } from './graphql/auth-plugin.js';
import type { GraphQLContext } from './graphql/context.js';
import { useLiveStreams } from './graphql/live-stream-plugin.js';
import { OutputBudget } from './graphql/output-budget.js';
import { useRateLimit } from './graphql/rate-limit-plugin.js';
import { schema } from './graphql/schema.js';
import { createRdevYoga, type RdevYoga } from './graphql/yoga.js';
import { ClientIpResolver } from './http/client-ip.js';
import { createConsoleRoutes } from './http/console-routes.js';
import { attachGraphQLWs, type GraphQLWsServer } from './http/graphql-ws-server.js';
import { createHttpServer, type ReadinessReport } from './http/http-server.js';
import { createLegacyRoutes } from './http/legacy-routes.js';
import { createLogger, type Logger } from './observability/logger.js';
import { AppMetrics } from './observability/metrics.js';
import { type AppTracing, createTracing, type SpanExporter } from './observability/tracing.js';
import type { EventBus } from './ports/event-bus.js';
import type { HealthCheck } from './ports/health-check.js';
import type { ProjectSource } from './ports/project-source.js';
import type { UnitOfWork } from './ports/unit-of-work.js';
import type { WebhookDeliveryStore } from './ports/webhook-delivery-store.js';
import type { WebhookStore } from './ports/webhook-store.js';
import type { HostResolver } from './ports/webhook-target-guard.js';
import type { WorkspaceFiles } from './ports/workspace-files.js';
import type { WorkspaceRuntime } from './ports/workspace-runtime.js';
import { ApiKeyService } from './services/api-key-service.js';
import { AuditService } from './services/audit-service.js';
import { AuthFailureLimit } from './services/auth-failure-limit.js';
import { AuthService } from './services/auth-service.js';
import { ClaudeConfigService } from './services/claude-config-service.js';
import { systemClock } from './services/clock.js';
import { CommandExecutor } from './services/command-executor.js';
import { CommandService } from './services/command-service.js';
import { DenialAudit } from './services/denial-audit.js';
import { LiveStreams } from './services/live-streams.js';
import { ProjectCatalog } from './services/project-catalog.js';
import { ProjectService } from './services/project-service.js';
import { ProjectWebhookPublisher } from './services/project-webhook-publisher.js';
import { RateLimiter } from './services/rate-limiter.js';
import { ServerInfoService } from './services/server-info-service.js';
import type { Services } from './services/services.js';
import { WebhookDeliveryService } from './services/webhook-delivery-service.js';
import { WebhookService } from './services/webhook-service.js';
import { VERSION } from './version.js';
import { AuditRetentionWorker } from './workers/audit-retention-worker.js';
import { CommandDispatcher } from './workers/command-dispatcher.js';
import { LiveStreamSweeper } from './workers/live-stream-sweeper.js';
import { WebhookDeliveryWorker } from './workers/webhook-delivery-worker.js';

export interface AppOverrides {
  logger?: Logger;
  /** An already-open database (tests share one per file). Not closed by `stop()`. */
  database?: DatabaseHandle;
  /** DNS for webhook URLs, at validation and when connecting (tests stand in for DNS). */
  webhookResolver?: HostResolver;
  /** Where finished spans go instead of OTLP (tests pass an in-memory exporter); every span is recorded. */
  spanExporter?: SpanExporter;
}

export interface App {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: AppMetrics;
  readonly tracing: AppTracing;
  readonly database: DatabaseHandle;
  readonly services: Services;
  readonly yoga: RdevYoga;
  /** The admin key generated on first start of an empty database, to print once; otherwise null. */
  readonly bootstrapAdminKey: string | null;
  /**
   * Checks every open stream against its key now and ends those it no longer allows (this also
   * runs periodically, and for a key at once when it changes); returns how many ended.
   */
  sweepCredentials(): Promise<number>;
  /** Listens on the configured host and port (0 picks one); resolves with the base URL. */
  start(): Promise<{ url: string; port: number }>;
  /** Graceful stop: readiness 503, stop accepting, close sockets with 1001, finish requests, close the database. */
  stop(): Promise<void>;
}

/** `rdev migrate`: applies pending migrations and closes the database. */
export async function migrateDatabase(config: Config): Promise<string[]> {
  const database = await openReachableDatabase(config.database, 'DATABASE_URL');
  try {
    return (await migrateToLatest(database.db, migrations)).applied;
  } finally {
    await database.close();
  }
}

/**
 * The services without any server, for the admin CLI: opens and migrates the database; the caller
 * must `close()` it. Acting as the system principal is the CLI's privilege (shell access to the
 * host or pod already means full control).
 */
export async function openAdminServices(
  config: Config,
): Promise<{ apiKeys: ApiKeyService; close(): Promise<void> }> {
  const database = await openReachableDatabase(config.database, 'DATABASE_URL');
  try {
    await migrateToLatest(database.db, migrations);
  } catch (error) {
    await database.close();
    throw error;
  }
  const stores = createPostgresStores(database.db);
  const apiKeys = new ApiKeyService({
    store: stores.apiKeys,
    unitOfWork: new PostgresUnitOfWork(database.db, createPostgresStores),
    clock: systemClock,
    rotationGraceDefaultSeconds: config.auth.rotationGraceSeconds,
    rotationGraceMaxSeconds: config.auth.rotationGraceMaxSeconds,
    defaultRateLimit: config.rateLimits.perKey,
    onKeyChanged: () => {},
  });
  return { apiKeys, close: () => database.close() };
}

/** The composition root: the only place that chooses adapters and wires them to services. */
export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel });
  if (config.warnings.length > 0) logger.warn({ warnings: config.warnings }, config.warnings.join('; '));
  const metrics = new AppMetrics();
  const tracing = await createTracing(config.tracing, {
    serviceVersion: VERSION,
    exporter: overrides.spanExporter,
  });
  // First: a runtime that cannot work (no Kubernetes cluster) stops the start before any migration.
  const projectRuntime = await createProjectSource(config, logger, metrics, tracing);
  const database = overrides.database ?? (await openReachableDatabase(config.database, 'DATABASE_URL'));
  const ownsDatabase = !overrides.database;
  const { applied } = await migrateToLatest(database.db, migrations);
  if (applied.length > 0) logger.info({ applied }, 'database migrated');
  metrics.buildInfo.set({ version: VERSION, runtime: config.runtime, database: database.kind }, 1);

  // Every query of this app is timed and traced (apps sharing a database in tests keep their own).
  const queries = new QueryInstrumentation({
    tracer: tracing.tracer,
    onQuery: (seconds, failed) => {
      metrics.dbQueries.inc({ outcome: failed ? 'error' : 'ok' });
      metrics.dbQueryDuration.observe(seconds);
    },
  });
  const stopQueryErrors = database.onQueryError((queryId, error) => queries.failed(queryId, error));
  const db = database.db.withPlugin(queries);
  const unitOfWork = new PostgresUnitOfWork(db, createPostgresStores);
  const stores = createPostgresStores(db);

  const projectCatalog = new ProjectCatalog({
    source: projectRuntime.source,
    ttlMs: config.projects.cacheTtlMs,
    observer: {
      onNewProblem: (problem) => {
        logger.warn({ problem }, `bad project settings: ${problem.message}`);
        metrics.projectConfigProblems.inc({ runtime: config.runtime });
      },
      onStatus: (status) => metrics.projectsStale.set(status.stale ? 1 : 0),
    },
  });
  const projectWebhooks = new ProjectWebhookPublisher({
    unitOfWork,
    onError: (error) => logger.warn({ err: error }, 'could not record a project webhook event'),
  });
  const stopProjectWebhooks = projectCatalog.subscribe((event) => void projectWebhooks.publish(event));
  await projectCatalog.start();

  const webhooks = createWebhooks(config, {
    unitOfWork,
    webhookStore: stores.webhookStore,
    deliveries: stores.webhookDeliveries,
    resolve: overrides.webhookResolver ?? systemHostResolver,
    logger,
    metrics,
    tracing,
  });
  // Without a key there is nothing to seal with: leave the secrets unread.
  if (config.webhooks.secretKey) await resealWebhookSecrets(webhooks.service, logger);

  const projectService = new ProjectService({ catalog: projectCatalog });
  // One process owns an embedded database; with PostgreSQL, replicas talk through LISTEN/NOTIFY.
  const pgBus =
    database.kind === 'postgres' && database.url
      ? new PostgresEventBus({
          url: database.url,
          db,
          onError: (error) => logger.warn({ err: error }, 'event bus connection lost; reconnecting'),
        })
      : null;
  await pgBus?.start();
  const bus: EventBus = pgBus ?? new InProcessEventBus();
  const rateLimiter = new RateLimiter({
    store: database.kind === 'postgres' ? new PostgresRateLimitStore(db) : new MemoryRateLimitStore(),
    clock: systemClock,
    windowSeconds: config.rateLimits.windowSeconds,
    defaultKeyLimit: config.rateLimits.perKey,
    anonymousLimit: config.rateLimits.anonymous,
    timeoutMs: config.rateLimits.timeoutMs,
    failurePolicy: config.rateLimits.failurePolicy,
    onStoreError: (error) => {
      metrics.rateLimitStoreErrors.inc();
      logger.warn({ err: error }, `rate-limit store failed; failing ${config.rateLimits.failurePolicy}`);
    },
    onLimited: (subject) => metrics.rateLimited.inc({ subject }),
  });
  const denials = new DenialAudit({
    audit: stores.audit,
    clock: systemClock,
    windowMs: config.rateLimits.windowSeconds * 1000,
    onError: (error) => logger.warn({ err: error }, 'could not record a refused API key'),
  });
  const auth = new AuthService({
    store: stores.apiKeys,
    clock: systemClock,
    cacheTtlMs: config.auth.cacheTtlMs,
    cacheMaxEntries: config.auth.cacheMaxKeys,
    touchIntervalMs: config.auth.touchIntervalMs,
    denials,
    failureLimit: new AuthFailureLimit({
      limiter: rateLimiter,
      clock: systemClock,
      perWindow: config.auth.failuresPerWindow,
    }),
    onFailure: (reason) => metrics.authFailures.inc({ reason }),
    onBackgroundError: (error) => logger.warn({ err: error }, 'could not record key use'),
  });
  const liveStreams = new LiveStreams({
    current: (digest, request) => auth.current(digest, request),
    maxPerKey: config.rateLimits.maxSubscriptionsPerKey,
    maxAnonymousPerIp: config.rateLimits.maxSubscriptionsPerAnonymousIp,
    onCheckFailed: (error) => logger.warn({ err: error }, 'could not check an open stream against its key'),
  });
  const commandService = new CommandService({
    store: stores.commands,
    unitOfWork,
    projects: projectService,
    runtime: projectRuntime.runtime,
    bus,
    clock: systemClock,
    limits: config.commands,
    onQueued: (c) => metrics.commandsQueued.inc({ type: c.type }),
    // Every terminal status counts here, including commands cancelled before they started.
    onFinished: (c) => {
      metrics.commandsFinished.inc({ type: c.type, status: c.status });
      if (c.startedAt && c.finishedAt) {
        metrics.commandDuration.observe(
          { type: c.type, status: c.status },
          (c.finishedAt.getTime() - c.startedAt.getTime()) / 1000,
        );
      }
    },
  });
  const executor = new CommandExecutor({
    store: stores.commands,
    unitOfWork,
    projects: projectService,
    runtime: projectRuntime.runtime,
    bus,
    commands: commandService,
    settings: {
      leaseMs: config.commands.leaseMs,
      queueAgingSeconds: config.commands.queueAgingSeconds,
      maxChunkBytes: config.commands.outputChunkBytes,
      outputCapBytes: config.commands.outputCapBytes,
      watchdogSeconds: config.commands.watchdogSeconds,
      cancelGraceSeconds: config.commands.cancelGraceSeconds,
      maxStartAttempts: config.commands.maxStartAttempts,
    },
    observer: {
      onStarted: (c, wait) => metrics.queueWait.observe({ type: c.type }, wait),
      onOutputBytes: (n) => metrics.outputBytes.inc(n),
      log: (level, message, details) => logger[level](details, message),
    },
    tracing: new OtelCommandTracing(tracing.tracer),
  });
  metrics.trackQueue(() => commandService.queueCounts(systemPrincipal('metrics')));
  const dispatcher = new CommandDispatcher({
    executor,
    bus,
    intervalMs: config.commands.dispatchIntervalMs,
    retentionMs: config.commands.retentionSeconds * 1000,
    leaseMs: config.commands.leaseMs,
    adoptAllAtStart: database.kind === 'pglite',
    onError: (error, what) => logger.warn({ err: error }, `command dispatcher: ${what} failed`),
  });

  const services: Services = {
    serverInfo: new ServerInfoService({
      version: VERSION,
      runtime: config.runtime,
      database: database.kind,
      startedAt: new Date(),
    }),
    auth,
    apiKeys: new ApiKeyService({
      store: stores.apiKeys,
      unitOfWork,
      clock: systemClock,
      rotationGraceDefaultSeconds: config.auth.rotationGraceSeconds,
      rotationGraceMaxSeconds: config.auth.rotationGraceMaxSeconds,
      defaultRateLimit: config.rateLimits.perKey,
      // Forgotten here at once; other replicas (and this one's open streams) hear it on the bus.
      onKeyChanged: (keyId) => {
        auth.invalidateKey(keyId);
        bus
          .publish('api_key_changed', keyId)
          .catch((error) => logger.warn({ err: error }, 'could not announce an API key change'));
      },
    }),
    audit: new AuditService(stores.audit),
    claudeConfig: new ClaudeConfigService({
      projects: projectService,
      files: projectRuntime.files,
      unitOfWork,
      limits: config.claudeConfig,
    }),
    projects: projectService,
    commands: commandService,
    webhooks: webhooks.service,
  };
  const bootstrap = await services.apiKeys.bootstrap(config.bootstrapAdminKey);

  const clientIp = new ClientIpResolver(config.trustedProxies);
  const buildContext = async (
    _request: Request,
    server: { clientIp: string; requestId: string; principal?: GraphQLContext['principal'] },
  ): Promise<GraphQLContext> => ({
    principal: server.principal ?? null,
    requestId: server.requestId,
    clientIp: server.clientIp,
    services,
    outputBudget: new OutputBudget(config.graphql.maxOutputBytes),
  });

  const yoga = createRdevYoga({
    schema,
    logger,
    metrics,
    production: config.production,
    limits: config.graphql,
    buildContext,
    tracing: { tracer: tracing.tracer, documentMaxBytes: tracing.graphqlDocumentMaxBytes },
    translateError: databaseUnavailable,
    authentication: useAuthentication({
      authenticate: (request) => auth.authenticateRequest(request),
      translateError: databaseUnavailable,
    }),
    plugins: [useRateLimit(rateLimiter), useLiveStreams(liveStreams)],
  });

  let draining = false;
  const healthChecks: HealthCheck[] = [
    ...(pgBus
      ? [
          {
            name: 'events',
            check: async () => {
              if (!pgBus.isConnected) throw new Error('the LISTEN connection is down');
            },
          },
        ]
      : []),
    { name: 'database', check: () => database.ping() },
    // Ready once projects were read at least once; later outages are served from cache (stale).
    { name: 'runtime', check: async () => void (await projectCatalog.list()) },
  ];
  const readiness = async (): Promise<ReadinessReport> => {
    const checks: Record<string, string> = {};
    if (draining) checks.server = 'draining';
    await Promise.all(
      healthChecks.map(async (hc) => {
        try {
          await withTimeout(hc.check(), 2_000);
          checks[hc.name] = 'ok';
        } catch (error) {
          checks[hc.name] = error instanceof Error ? error.message : String(error);
        }
      }),
    );
    return { ready: !draining && Object.values(checks).every((v) => v === 'ok'), checks };
  };

  const legacyRoutes = createLegacyRoutes({
    commands: commandService,
    metrics,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    keepAliveMs: config.streams.keepAliveMs,
    streams: liveStreams,
  });
  const httpServer = createHttpServer({
    yoga,
    logger,
    metrics,
    clientIp,
    maxBodyBytes: config.maxBodyBytes,
    timeouts: config.http,
    readiness,
    tracing,
    translateError: databaseUnavailable,
    routes: [legacyRoutes.handle, createConsoleRoutes()],
    rateLimit: (principal, ip) =>
      rateLimiter.check(
        principal?.kind === 'key'
          ? { kind: 'key', keyId: principal.keyId, limit: principal.rateLimit ?? null }
          : { kind: 'ip', ip },
        1,
      ),
    authenticate: (req, url, ip, requestId) =>
      auth.authenticateRequest({ fields: req.headers, query: url.searchParams, clientIp: ip, requestId }),
  });
  const ws: GraphQLWsServer = attachGraphQLWs({
    keepAliveMs: config.streams.keepAliveMs,
    maxBufferedBytes: config.streams.wsMaxBufferedBytes,
    maxSubscriptionsPerConnection: config.rateLimits.maxSubscriptionsPerConnection,
    server: httpServer,
    yoga,
    logger,
    metrics,
    clientIp,
    authenticate: (request) => auth.authenticateRequest(request),
    streams: liveStreams,
    translateError: databaseUnavailable,
  });
  const sweeper = new LiveStreamSweeper({
    streams: liveStreams,
    forgetKey: (keyId) => auth.invalidateKey(keyId),
    bus,
    logger,
    intervalMs: config.auth.recheckMs,
  });
  const auditRetention = new AuditRetentionWorker({
    audit: services.audit,
    clock: systemClock,
    retentionDays: config.auditRetentionDays,
    logger,
  });

  let stopping: Promise<void> | null = null;
  return {
    config,
    logger,
    metrics,
    tracing,
    database,
    services,
    yoga,
    bootstrapAdminKey: bootstrap.generated,
    sweepCredentials: () => sweeper.sweep(),
    start: () =>
      new Promise((resolve, reject) => {
        sweeper.start();
        auditRetention.start();
        void dispatcher.start();
        webhooks.worker?.start();
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          httpServer.off('error', reject);
          const { port } = httpServer.address() as AddressInfo;
          const host = config.host.includes(':') ? `[${config.host}]` : config.host;
          resolve({ url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`, port });
        });
      }),
    stop: () => {
      stopping ??= (async () => {
        draining = true;
        logger.info('shutting down');
        // One grace period for everything still in flight.
        const graceOver = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref());
        // The webhook worker claims nothing more from now on and finishes the attempts in flight
        // while the rest shuts down; one still running when the grace period ends is cut off and
        // recorded as failed, so another replica retries it.
        const webhooksStopped = webhooks.stop(graceOver);
        await sweeper.stop();
        await auditRetention.stop();
        // Leases are handed back so another replica (or the next start) adopts running commands.
        const commandsStopped = dispatcher.stop();
        const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        // SSE clients reconnect (to another replica): legacy ones with Last-Event-ID, GraphQL
        // ones subscribe again with `after`.
        legacyRoutes.closeStreams();
        httpServer.endStreams();
        await ws.close(1001, 'server shutting down');
        stopProjectWebhooks();
        await projectCatalog.stop();
        httpServer.closeIdleConnections();
        // A keep-alive connection whose request or stream ends from now on would otherwise stay
        // open for the keep-alive timeout: close each one as soon as it is idle.
        const closeIdle = setInterval(() => httpServer.closeIdleConnections(), 50);
        const graceful = await Promise.race([closed.then(() => true), graceOver.then(() => false)]);
        clearInterval(closeIdle);
        if (!graceful) {
          logger.warn('grace period over: closing remaining connections');
          httpServer.closeAllConnections();
          await closed;
        }
        await webhooksStopped;
        await commandsStopped;
        await pgBus?.close();
        // Refusals counted since the last audit row are written before the database closes.
        await denials.flush();
        stopQueryErrors();
        if (ownsDatabase) await database.close();
        // Spans still buffered go out before the process exits.
        await tracing
          .shutdown()
          .catch((error) => logger.warn({ err: error }, 'could not export the last spans'));
        logger.info('stopped');
      })();
      return stopping;
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Where projects come from: folders (`local`) or labelled pods (`kubernetes`). The Kubernetes
 * guard (breaker and time limits) is returned so every other Kubernetes caller shares it.
 */
async function createProjectSource(
  config: Config,
  logger: Logger,
  metrics: AppMetrics,
  tracing: AppTracing,
): Promise<{
  source: ProjectSource;
  kubeGuard: KubeApiGuard | null;
  runtime: WorkspaceRuntime;
  files: WorkspaceFiles;
}> {
  if (config.runtime === 'local') {
    return {
      runtime: new SupervisorRuntime({ transport: new LocalExecTransport() }),
      files: new LocalWorkspaceFiles(),
      source: new LocalProjectSource({
        workspacesDir: config.workspacesDir,
        projectsFile: config.projects.projectsFile,
        rescanMs: config.projects.localRescanMs,
        logger: logger.child({ component: 'local-projects' }),
      }),
      kubeGuard: null,
    };
  }
  // Loaded only for this runtime: the Kubernetes client alone adds about 70 MB to a process.
  const [
    { KubeApiGuard },
    { loadKubeConfig, resolveNamespace },
    { KubernetesExecTransport },
    { KubernetesProjectSource },
    { KubernetesWorkspaceFiles },
  ] = await Promise.all([
    import('./adapters/kubernetes/kube-api-guard.js'),
    import('./adapters/kubernetes/kube-connection.js'),
    import('./adapters/kubernetes/kubernetes-exec-transport.js'),
    import('./adapters/kubernetes/kubernetes-project-source.js'),
    import('./adapters/kubernetes/kubernetes-workspace-files.js'),
  ]);
  const kubeConfig = loadKubeConfig(config.kubeconfigPath);
  const kubeGuard = new KubeApiGuard({
    failureThreshold: config.kubeApi.breakerFailures,
    openMs: config.kubeApi.breakerOpenMs,
    timeoutMs: config.kubeApi.timeoutMs,
    metrics,
    logger: logger.child({ component: 'kube-api' }),
    tracer: tracing.tracer,
  });
  const namespace = resolveNamespace(config.namespace, kubeConfig);
  const execTransport = new KubernetesExecTransport({
    kubeConfig,
    namespace,
    guard: (fn) => kubeGuard.execute('exec', () => fn(), { timeoutMs: 15_000 }),
  });
  return {
    runtime: new SupervisorRuntime({ transport: execTransport }),
    // .claude/ files through the same exec transport, so the same circuit breaker guards them.
    files: new KubernetesWorkspaceFiles({ transport: execTransport }),
    source: new KubernetesProjectSource({
      kubeConfig,
      namespace: resolveNamespace(config.namespace, kubeConfig),
      labelPrefix: config.projects.labelPrefix,
      configMapName: config.projects.configMapName,
      guard: kubeGuard,
      resyncMs: config.projects.resyncMs,
      retryMaxMs: Math.min(10_000, config.kubeApi.breakerOpenMs),
      logger: logger.child({ component: 'kube-projects' }),
    }),
    kubeGuard,
  };
}

/**
 * After `RDEV_WEBHOOK_SECRET_KEY` was set or changed: seals the stored signing secrets with it.
 * A failure only delays that to the next start; the secrets keep working meanwhile.
 */
async function resealWebhookSecrets(service: WebhookService, logger: Logger): Promise<void> {
  try {
    const { resealed, unreadable } = await service.resealSecrets();
    if (resealed > 0) logger.info({ resealed }, 'webhook signing secrets sealed with the current key');
    if (unreadable > 0) {
      logger.warn(
        { unreadable },
        'webhook signing secrets sealed with a key that is no longer configured: their deliveries fail until the webhook secret is rotated or the key is set as RDEV_WEBHOOK_SECRET_KEY_PREVIOUS',
      );
    }
  } catch (error) {
    logger.warn({ err: error }, 'could not re-seal webhook signing secrets; trying again at the next start');
  }
}

/**
 * Webhooks: the SSRF guard (one address policy for validation and for the connector), the
 * undici sender, the management and delivery services, and this replica's delivery worker.
 */
function createWebhooks(
  config: Config,
  deps: {
    unitOfWork: UnitOfWork;
    webhookStore: WebhookStore;
    deliveries: WebhookDeliveryStore;
    resolve: HostResolver;
    logger: Logger;
    metrics: AppMetrics;
    tracing: AppTracing;
  },
) {
  const policy = new WebhookAddressPolicy(config.webhookAllowPrivate);
  const sender = new UndiciWebhookSender({
    policy,
    resolve: deps.resolve,
    attemptTimeoutMs: config.webhooks.attemptTimeoutMs,
    deadlineMs: config.webhooks.attemptDeadlineMs,
    excerptBytes: WEBHOOK_RESPONSE_EXCERPT_BYTES,
    userAgent: `rdev-webhooks/${VERSION}`,
    tracer: deps.tracing.tracer,
  });
  const secretBox = new AesGcmSecretBox(config.webhooks.secretKey, config.webhooks.previousSecretKey);
  const service = new WebhookService({
    unitOfWork: deps.unitOfWork,
    webhooks: deps.webhookStore,
    deliveries: deps.deliveries,
    targetGuard: new DnsWebhookTargetGuard({
      policy,
      resolve: deps.resolve,
      allowPrivate: config.webhookAllowPrivate,
    }),
    clock: systemClock,
    secretBox,
  });
  const delivery = new WebhookDeliveryService({
    unitOfWork: deps.unitOfWork,
    deliveries: deps.deliveries,
    sender,
    clock: systemClock,
    secretBox,
    retry: {
      scheduleMs: config.webhooks.retryScheduleMs,
      jitter: config.webhooks.retryJitter,
      maxRetryAfterMs: config.webhooks.maxRetryAfterMs,
    },
    disableAfterMs: config.webhooks.disableAfterMs,
    claimLeaseMs: config.commands.leaseMs,
  });
  const worker = config.webhooks.worker
    ? new WebhookDeliveryWorker({
        deliveries: delivery,
        logger: deps.logger.child({ component: 'webhook-delivery' }),
        metrics: deps.metrics,
        concurrency: config.webhooks.concurrency,
        pollIntervalMs: config.webhooks.pollIntervalMs,
        retentionMs: config.webhooks.retentionSeconds * 1000,
        tracer: deps.tracing.tracer,
      })
    : null;
  return {
    service,
    delivery,
    worker,
    async stop(graceOver: Promise<void>) {
      const stopped = worker?.stop();
      await Promise.race([stopped, graceOver]);
      sender.abort();
      await stopped;
      await sender.close();
    },
  };
}
