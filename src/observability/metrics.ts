import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Queued and running commands of one project, as the queue sampler reads them. */
export interface QueueSample {
  projectName: string;
  queued: number;
  running: number;
  oldestQueuedAt: Date | null;
}

/** Transports a subscription can be open on (the `transport` label of `rdev_active_subscriptions`). */
export const SUBSCRIPTION_TRANSPORTS = ['graphql-ws', 'graphql-sse', 'http', 'legacy-sse'] as const;
export type SubscriptionTransport = (typeof SUBSCRIPTION_TRANSPORTS)[number];

/** A queue sample older than this is read again at the next scrape; younger ones are reused. */
const QUEUE_SAMPLE_MAX_AGE_MS = 5_000;
const QUEUE_SAMPLE_TIMEOUT_MS = 2_000;

/**
 * One Prometheus registry per app (tests run several apps in one process). Label values are
 * always from small fixed sets; ids never become labels.
 */
export class AppMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'rdev_http_requests_total',
    help: 'HTTP requests by route and status class.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'rdev_http_request_duration_seconds',
    help: 'HTTP request duration until the response is complete (streams excluded).',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly graphqlOperations = new Counter({
    name: 'rdev_graphql_operations_total',
    help: 'GraphQL operations by name (unknown names folded into "other"), type and outcome.',
    labelNames: ['operation_name', 'operation_type', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly graphqlDuration = new Histogram({
    name: 'rdev_graphql_operation_duration_seconds',
    help: 'GraphQL execution time by operation name and type (subscriptions excluded).',
    labelNames: ['operation_name', 'operation_type'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly activeSubscriptions = new Gauge({
    name: 'rdev_active_subscriptions',
    help: 'Open subscriptions on this replica by transport: graphql-ws, graphql-sse (GraphQL over SSE), http (other HTTP streaming) and legacy-sse (/api/v1 command streams).',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });

  readonly authFailures = new Counter({
    name: 'rdev_auth_failures_total',
    help: 'Refused API keys by reason (malformed, unknown, revoked, expired, ip_not_allowed).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly dbQueries = new Counter({
    name: 'rdev_db_queries_total',
    help: 'Database queries by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly dbQueryDuration = new Histogram({
    name: 'rdev_db_query_duration_seconds',
    help: 'Database query duration.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: 'rdev_webhook_deliveries_total',
    help: 'Webhook delivery attempts by what became of the delivery: succeeded, retrying, failed (gave up or disabled) or lost (claim expired).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookAttemptDuration = new Histogram({
    name: 'rdev_webhook_attempt_duration_seconds',
    help: 'Duration of one webhook delivery attempt, until the status (and the capped excerpt) arrived or it failed.',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly webhookBacklog = new Gauge({
    name: 'rdev_webhook_backlog',
    help: 'Webhook deliveries waiting for an attempt (due or scheduled), across all replicas.',
    registers: [this.registry],
  });

  readonly webhooksDisabled = new Counter({
    name: 'rdev_webhooks_disabled_total',
    help: 'Webhooks this replica disabled (410 Gone, or failing for too long).',
    registers: [this.registry],
  });

  readonly commandsFinished = new Counter({
    name: 'rdev_commands_total',
    help: 'Commands that reached a terminal status, by type and status.',
    labelNames: ['type', 'status'] as const,
    registers: [this.registry],
  });

  readonly commandsQueued = new Counter({
    name: 'rdev_commands_queued_total',
    help: 'Commands accepted into the queue, by type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly queueWait = new Histogram({
    name: 'rdev_command_queue_wait_seconds',
    help: 'Time from queueing to claim.',
    labelNames: ['type'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [this.registry],
  });

  readonly commandDuration = new Histogram({
    name: 'rdev_command_run_seconds',
    help: 'Time from start to terminal status, by type and status.',
    labelNames: ['type', 'status'] as const,
    buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14400],
    registers: [this.registry],
  });

  readonly outputBytes = new Counter({
    name: 'rdev_command_output_bytes_total',
    help: 'Bytes of command output read from workspaces (stored or not).',
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'rdev_rate_limited_requests_total',
    help: 'Requests refused by the rate limiter, by subject (key or ip), and failed authentications past their budget (auth_failure).',
    labelNames: ['subject'] as const,
    registers: [this.registry],
  });

  readonly rateLimitStoreErrors = new Counter({
    name: 'rdev_rate_limit_store_errors_total',
    help: 'Rate-limit checks whose store failed or timed out (the failure policy applied).',
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'rdev_command_queue_depth',
    help: 'Commands waiting in the queue, by project (all replicas; read at most every 5 s).',
    labelNames: ['project'] as const,
    registers: [this.registry],
    collect: () => this.applyQueueSample(),
  });

  readonly queueOldestAge = new Gauge({
    name: 'rdev_command_queue_oldest_age_seconds',
    help: 'Age of the oldest queued command, by project (absent when nothing waits).',
    labelNames: ['project'] as const,
    registers: [this.registry],
    collect: () => this.applyQueueSample(),
  });

  readonly commandsRunning = new Gauge({
    name: 'rdev_commands_running',
    help: 'Commands running now, by project (all replicas; read at most every 5 s).',
    labelNames: ['project'] as const,
    registers: [this.registry],
    collect: () => this.applyQueueSample(),
  });

  readonly buildInfo = new Gauge({
    name: 'rdev_build_info',
    help: 'Always 1; the labels say which version runs, on which runtime and database.',
    labelNames: ['version', 'runtime', 'database'] as const,
    registers: [this.registry],
  });

  private queueSampler: (() => Promise<QueueSample[]>) | null = null;
  private queueSample: { at: number; rows: QueueSample[] } | null = null;
  private queueReading: Promise<void> | null = null;

  private readonly knownOperationNames = new Set<string>();

  constructor(private readonly maxOperationNames = 200) {
    // Includes nodejs_eventloop_lag_seconds and its percentiles (nodejs_eventloop_lag_p99_seconds).
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
    // Every transport shows up from the first scrape, so dashboards and alerts see zeros, not gaps.
    for (const transport of SUBSCRIPTION_TRANSPORTS) this.activeSubscriptions.inc({ transport }, 0);
  }

  /**
   * Where the queue gauges come from: one cheap aggregate over queued and running commands (not
   * over history), read at scrape time at most every few seconds and reused in between, so a
   * scrape costs at most one small query however many projects and commands exist.
   */
  trackQueue(sample: () => Promise<QueueSample[]>): void {
    this.queueSampler = sample;
  }

  private async applyQueueSample(): Promise<void> {
    if (!this.queueSampler) return;
    const stale = !this.queueSample || Date.now() - this.queueSample.at >= QUEUE_SAMPLE_MAX_AGE_MS;
    if (stale) {
      this.queueReading ??= this.readQueue(this.queueSampler).finally(() => {
        this.queueReading = null;
      });
      await this.queueReading;
    }
    const rows = this.queueSample?.rows ?? [];
    this.queueDepth.reset();
    this.commandsRunning.reset();
    this.queueOldestAge.reset();
    const now = Date.now();
    for (const row of rows) {
      this.queueDepth.set({ project: row.projectName }, row.queued);
      this.commandsRunning.set({ project: row.projectName }, row.running);
      if (row.oldestQueuedAt) {
        this.queueOldestAge.set(
          { project: row.projectName },
          Math.max(0, (now - row.oldestQueuedAt.getTime()) / 1000),
        );
      }
    }
  }

  private async readQueue(sample: () => Promise<QueueSample[]>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const rows = await Promise.race([
        sample(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('queue sample timed out')), QUEUE_SAMPLE_TIMEOUT_MS);
        }),
      ]);
      this.queueSample = { at: Date.now(), rows };
    } catch {
      // The database is unreachable: keep the last values (readiness reports the outage) and
      // try again once they are stale, so scrapes do not each wait for a failing query.
      this.queueSample = { at: Date.now(), rows: this.queueSample?.rows ?? [] };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Operation names come from clients, so they are untrusted label values: the first
   * `maxOperationNames` well-formed names are kept, the rest are folded into "other".
   */
  operationLabel(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (this.knownOperationNames.has(name)) return name;
    if (
      !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) ||
      this.knownOperationNames.size >= this.maxOperationNames
    ) {
      return 'other';
    }
    this.knownOperationNames.add(name);
    return name;
  }

  readonly kubeCircuitState = new Gauge({
    name: 'rdev_kubernetes_api_circuit_state',
    help: 'The Kubernetes API circuit breaker: 1 for the current state (closed, open, half_open), 0 for the others.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly kubeApiRequests = new Counter({
    name: 'rdev_kubernetes_api_requests_total',
    help: 'Kubernetes API calls by verb and outcome (ok, client_error, server_error, timeout, connection_error, circuit_open, error).',
    labelNames: ['verb', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly kubeApiDuration = new Histogram({
    name: 'rdev_kubernetes_api_request_duration_seconds',
    help: 'Kubernetes API call duration by verb (for watches and exec: until the stream is established).',
    labelNames: ['verb'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly projectConfigProblems = new Counter({
    name: 'rdev_project_config_problems_total',
    help: 'Bad project settings or discovery entries found (each counted once while it persists), by runtime.',
    labelNames: ['runtime'] as const,
    registers: [this.registry],
  });

  readonly projectsStale = new Gauge({
    name: 'rdev_projects_stale',
    help: '1 while the project list is served from cache because the runtime cannot be read.',
    registers: [this.registry],
  });
}
