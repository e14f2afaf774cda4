import { systemHostResolver } from './adapters/http/host-resolver.js';
import type { DatabaseHandle } from './adapters/postgres/database.js';
import { reportTamperedScript } from './adapters/supervisor/tampered-script-audit.js';
import { buildAuth } from './composition/build-auth.js';
import { buildCommands } from './composition/build-commands.js';
import { buildDatabase } from './composition/build-database.js';
import { buildEventBus } from './composition/build-event-bus.js';
import { buildGraphQL } from './composition/build-graphql.js';
import { buildHttp } from './composition/build-http.js';
import { buildProjectRuntime } from './composition/build-project-runtime.js';
import { buildProjects } from './composition/build-projects.js';
import { buildRateLimiter } from './composition/build-rate-limiter.js';
import { buildTelemetry } from './composition/build-telemetry.js';
import { buildWebhooks } from './composition/build-webhooks.js';
import type { Config } from './config.js';
import { systemClock } from './domain/clock.js';
import type { RdevYoga } from './graphql/yoga.js';
import { Readiness } from './lifecycle/readiness.js';
import { gracefulShutdown } from './lifecycle/shutdown.js';
import type { Logger } from './observability/logger.js';
import type { AppMetrics } from './observability/metrics.js';
import { announceIfSlow, type StartupProgress } from './observability/slow-step.js';
import type { AppTracing, SpanExporter } from './observability/tracing.js';
import type { AuditLog } from './ports/audit-log.js';
import type { HostResolver } from './ports/webhook-target-guard.js';
import { AuditService } from './services/audit-service.js';
import { ClaudeConfigService } from './services/claude-config-service.js';
import { GitStateService } from './services/git-state-service.js';
import { ServerInfoService } from './services/server-info-service.js';
import type { Services } from './services/services.js';
import { WorkspaceFileService } from './services/workspace-file-service.js';
import { VERSION } from './version.js';
import { AuditRetentionWorker } from './workers/audit-retention-worker.js';

export interface AppOverrides {
  logger?: Logger;
  /** An already-open database (tests share one per file). Not closed by `stop()`. */
  database?: DatabaseHandle;
  /** DNS for webhook URLs, at validation and when connecting (tests stand in for DNS). */
  webhookResolver?: HostResolver;
  /** Where finished spans go instead of OTLP (tests pass an in-memory exporter); every span is recorded. */
  spanExporter?: SpanExporter;
  /** Told about start-up steps that take a while (`rdev serve` prints them); none by default. */
  progress?: StartupProgress;
}

export interface App {
  readonly logger: Logger;
  readonly metrics: AppMetrics;
  readonly tracing: AppTracing;
  readonly database: DatabaseHandle;
  readonly services: Services;
  readonly yoga: RdevYoga;
  /**
   * The admin key generated when an empty database first starts listening, to print once;
   * otherwise (and before `start()`) null.
   */
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

/**
 * The composition root: the only place that chooses adapters and wires them to services. Each
 * part is built by its factory in `composition/`, in the order the parts need each other;
 * `lifecycle/` holds readiness and the order of the graceful stop.
 */
export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const telemetry = await buildTelemetry(config, overrides);
  const { logger, metrics, tracing } = telemetry;
  // First: a runtime that cannot work (no Kubernetes cluster) stops the start before any migration.
  // Its reports of a tampered supervisor script reach the audit log once the database is open.
  let auditLog: AuditLog | null = null;
  const onScriptTampered = reportTamperedScript(logger.child({ component: 'runtime' }), () => auditLog);
  const runtime = await announceIfSlow(
    overrides.progress,
    `connecting to the ${config.runtime} runtime…`,
    () => buildProjectRuntime(config, telemetry, { onScriptTampered }),
  );
  const database = await buildDatabase(config, telemetry, overrides.database, overrides.progress);
  const { stores, unitOfWork } = database;
  auditLog = stores.audit;
  metrics.buildInfo.set({ version: VERSION, runtime: config.runtime, database: database.handle.kind }, 1);

  const projects = await buildProjects(config, {
    ...telemetry,
    source: runtime.source,
    unitOfWork,
    claude: runtime.claude,
  });
  const webhooks = await buildWebhooks(config, {
    ...telemetry,
    unitOfWork,
    webhookStore: stores.webhookStore,
    deliveries: stores.webhookDeliveries,
    resolve: overrides.webhookResolver ?? systemHostResolver,
  });
  const events = await buildEventBus(database, logger);
  const rateLimiter = buildRateLimiter(config, database, telemetry);
  const access = buildAuth(config, {
    ...telemetry,
    apiKeyStore: stores.apiKeys,
    audit: stores.audit,
    unitOfWork,
    rateLimiter,
    bus: events.bus,
  });
  const git = new GitStateService({ projects: projects.service, exec: runtime.exec });
  const commands = buildCommands(config, {
    ...telemetry,
    database,
    projects: projects.service,
    runtime: runtime.runtime,
    claude: runtime.claude,
    bus: events.bus,
    workspaceStatus: async (project) => (await git.status(project))?.entries ?? null,
  });

  const services: Services = {
    serverInfo: new ServerInfoService({
      version: VERSION,
      runtime: config.runtime,
      database: database.handle.kind,
      startedAt: new Date(),
    }),
    auth: access.auth,
    apiKeys: access.apiKeys,
    audit: new AuditService(stores.audit),
    claudeConfig: new ClaudeConfigService({
      projects: projects.service,
      files: runtime.files,
      unitOfWork,
      limits: config.claudeConfig,
    }),
    projects: projects.service,
    commands: commands.service,
    commandInput: commands.input,
    commandOutput: commands.output,
    webhooks: webhooks.service,
    files: new WorkspaceFileService({
      projects: projects.service,
      files: runtime.fileSystem,
      unitOfWork,
      maxUploadBytes: config.files.maxUploadBytes,
    }),
    git,
  };
  const readiness = new Readiness([...events.healthChecks, database.healthCheck, projects.healthCheck]);
  const edges = { ...telemetry, services, rateLimiter, liveStreams: access.liveStreams };
  const yoga = buildGraphQL(config, edges);
  const http = buildHttp(config, { ...edges, yoga, readiness: () => readiness.report() });
  const auditRetention = new AuditRetentionWorker({
    audit: services.audit,
    clock: systemClock,
    retentionDays: config.auditRetentionDays,
    logger,
  });

  let bootstrapAdminKey: string | null = null;
  return {
    logger,
    metrics,
    tracing,
    database: database.handle,
    services,
    yoga,
    get bootstrapAdminKey() {
      return bootstrapAdminKey;
    },
    sweepCredentials: () => access.sweeper.sweep(),
    start: async () => {
      access.sweeper.start();
      auditRetention.start();
      void commands.dispatcher.start();
      // Logged when claude is missing; runClaude and runtimeStatus look again later.
      void runtime.claude
        .checkAtStart()
        .catch((error: unknown) => logger.warn({ err: error }, 'could not look for the Claude Code CLI'));
      webhooks.start();
      const listening = await http.listen();
      // Only once the port is ours: a start that fails to listen (port taken) must not make a key
      // that is never shown, since the next start finds the database no longer empty.
      bootstrapAdminKey = (await services.apiKeys.bootstrap(config.bootstrapAdminKey)).generated;
      return listening;
    },
    stop: gracefulShutdown({
      logger,
      graceMs: config.shutdownGraceMs,
      readiness,
      webhooks,
      workers: [access.sweeper, auditRetention],
      commands: commands.dispatcher,
      http,
      projects,
      events,
      flush: () => access.denials.flush(),
      database,
      tracing,
    }),
  };
}
