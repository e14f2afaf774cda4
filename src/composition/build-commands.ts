import { OtelCommandTracing } from '../adapters/opentelemetry/otel-command-tracing.js';
import type { Config } from '../config.js';
import { systemClock } from '../domain/clock.js';
import type { GitStatusEntry } from '../domain/git-status.js';
import { systemPrincipal } from '../domain/principal.js';
import type { Project } from '../domain/project.js';
import type { ClaudeAvailability } from '../engine/claude-availability.js';
import { CommandExecutor } from '../engine/command-executor.js';
import { CommandLifecycle } from '../engine/command-lifecycle.js';
import { commandMetrics } from '../observability/command-metrics.js';
import type { EventBus } from '../ports/event-bus.js';
import type { WorkspaceRuntime } from '../ports/workspace-runtime.js';
import { CommandInputService } from '../services/command-input-service.js';
import { CommandOutputReader } from '../services/command-output-reader.js';
import { CommandService } from '../services/command-service.js';
import type { ProjectService } from '../services/project-service.js';
import { CommandDispatcher } from '../workers/command-dispatcher.js';
import type { AppDatabase } from './build-database.js';
import type { Telemetry } from './build-telemetry.js';

export interface CommandDeps extends Telemetry {
  database: AppDatabase;
  projects: ProjectService;
  runtime: WorkspaceRuntime;
  claude: ClaudeAvailability;
  bus: EventBus;
  /** Git status entries of a workspace, recorded at a command's start and end. */
  workspaceStatus?(project: Project): Promise<GitStatusEntry[] | null>;
}

/**
 * Commands: the service that queues, reads and cancels them, the executor that claims, starts
 * and follows them, and this replica's dispatcher that drives the executor. Their counters and
 * the queue gauges go to the app's metrics.
 */
export function buildCommands(config: Config, deps: CommandDeps) {
  const { logger, metrics, bus } = deps;
  const { unitOfWork, stores } = deps.database;
  const counted = commandMetrics(metrics);
  const lifecycle = new CommandLifecycle({
    store: stores.commands,
    unitOfWork,
    bus,
    clock: systemClock,
    onFinished: counted.onFinished,
  });
  const service = new CommandService({
    store: stores.commands,
    unitOfWork,
    lifecycle,
    projects: deps.projects,
    runtime: deps.runtime,
    claude: deps.claude,
    bus,
    clock: systemClock,
    limits: config.commands,
    onQueued: counted.onQueued,
  });
  const output = new CommandOutputReader({ store: stores.commands, bus });
  const input = new CommandInputService({
    store: stores.commands,
    unitOfWork,
    bus,
    limits: config.commands,
  });
  const executor = new CommandExecutor({
    store: stores.commands,
    input: stores.commandInput,
    lifecycle,
    projects: deps.projects,
    runtime: deps.runtime,
    bus,
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
      onStarted: counted.onStarted,
      onOutputBytes: counted.onOutputBytes,
      log: (level, message, details) => logger[level](details, message),
    },
    tracing: new OtelCommandTracing(deps.tracing.tracer),
    ...(deps.workspaceStatus ? { workspaceStatus: deps.workspaceStatus } : {}),
  });
  metrics.trackQueue(() => service.queueCounts(systemPrincipal('metrics')));
  const dispatcher = new CommandDispatcher({
    executor,
    bus,
    intervalMs: config.commands.dispatchIntervalMs,
    retentionMs: config.commands.retentionSeconds * 1000,
    leaseMs: config.commands.leaseMs,
    adoptAllAtStart: deps.database.handle.kind === 'pglite',
    onError: (error, what) => logger.warn({ err: error }, `command dispatcher: ${what} failed`),
  });
  return { service, input, output, dispatcher };
}
