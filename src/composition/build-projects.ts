import type { Config } from '../config.js';
import type { ClaudeAvailability } from '../engine/claude-availability.js';
import { ProjectCatalog } from '../engine/project-catalog.js';
import { ProjectWebhookPublisher } from '../engine/project-webhook-publisher.js';
import type { HealthCheck } from '../ports/health-check.js';
import type { ProjectSource } from '../ports/project-source.js';
import type { UnitOfWork } from '../ports/unit-of-work.js';
import { ProjectService } from '../services/project-service.js';
import type { Telemetry } from './build-telemetry.js';

export interface AppProjects {
  service: ProjectService;
  healthCheck: HealthCheck;
  /** Stops announcing project changes and stops watching the source. */
  stop(): Promise<void>;
}

/**
 * The project catalog over `source`, started: its problems logged and counted, its changes
 * recorded as webhook events.
 */
export async function buildProjects(
  config: Config,
  deps: Pick<Telemetry, 'logger' | 'metrics'> & {
    source: ProjectSource;
    unitOfWork: UnitOfWork;
    claude: ClaudeAvailability;
  },
): Promise<AppProjects> {
  const { logger, metrics } = deps;
  const catalog = new ProjectCatalog({
    source: deps.source,
    ttlMs: config.projects.cacheTtlMs,
    observer: {
      onNewProblem: (problem) => {
        logger.warn({ problem }, `bad project settings: ${problem.message}`);
        metrics.projectConfigProblems.inc({ runtime: config.runtime });
      },
      onStatus: (status) => metrics.projectsStale.set(status.stale ? 1 : 0),
    },
  });
  const webhooks = new ProjectWebhookPublisher({
    unitOfWork: deps.unitOfWork,
    onError: (error) => logger.warn({ err: error }, 'could not record a project webhook event'),
  });
  const stopWebhooks = catalog.subscribe((event) => void webhooks.publish(event));
  await catalog.start();
  return {
    service: new ProjectService({ catalog, claude: deps.claude }),
    // Ready once projects were read at least once; later outages are served from cache (stale).
    healthCheck: { name: 'runtime', check: async () => void (await catalog.list()) },
    async stop() {
      stopWebhooks();
      await catalog.stop();
    },
  };
}
