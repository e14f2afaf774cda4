import { createHash } from 'node:crypto';
import type { Project, ProjectEvent } from '../domain/project.js';
import type { UnitOfWork } from '../ports/unit-of-work.js';

const TYPES = {
  DISCOVERED: 'project.discovered',
  CHANGED: 'project.changed',
  REMOVED: 'project.removed',
} as const;

/** Replicas that see one change within this span share one message; later repeats are new ones. */
const DEDUPE_BUCKET_MS = 10 * 60 * 1000;

export function projectWebhookData(project: Project): Record<string, unknown> {
  return {
    name: project.name,
    status: project.status,
    description: project.description,
    podName: project.podName,
    namespace: project.namespace,
    workspacePath: project.workspacePath,
    allowedCommandTypes: project.allowedCommandTypes,
    maxConcurrentCommands: project.maxConcurrentCommands,
    warnings: project.warnings,
  };
}

/**
 * Turns the catalog's project events into webhook events. Every replica watches the same
 * projects and sees the same change, so each event carries a key made of the change itself: the
 * outbox writes it once, whichever replica is first.
 */
export class ProjectWebhookPublisher {
  constructor(
    private readonly deps: {
      unitOfWork: UnitOfWork;
      onError(error: unknown): void;
    },
  ) {}

  async publish(event: ProjectEvent): Promise<void> {
    const data = projectWebhookData(event.project);
    const state = createHash('sha256').update(JSON.stringify(data)).digest('hex');
    const bucket = Math.floor(event.at.getTime() / DEDUPE_BUCKET_MS);
    try {
      await this.deps.unitOfWork.run(({ webhooks }) =>
        webhooks.enqueue({
          type: TYPES[event.type],
          projectName: event.project.name,
          data,
          dedupeKey: `${TYPES[event.type]}:${event.project.name}:${state}:${bucket}`,
        }),
      );
    } catch (error) {
      this.deps.onError(error);
    }
  }
}
