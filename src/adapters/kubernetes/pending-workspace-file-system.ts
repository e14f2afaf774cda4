import { RuntimeUnavailableError } from '../../domain/errors.js';
import type { WorkspaceFileSystem } from '../../ports/workspace-file-system.js';
import type { WorkspaceTarget } from '../../ports/workspace-runtime.js';

/**
 * The file API on the Kubernetes runtime is not available yet: every call answers
 * RUNTIME_UNAVAILABLE with that reason, so clients get a clear error rather than a wrong answer.
 * `.claude/` items (`KubernetesWorkspaceFiles`) work on this runtime.
 */
export class PendingWorkspaceFileSystem implements WorkspaceFileSystem {
  private refuse(target: WorkspaceTarget): never {
    throw new RuntimeUnavailableError(
      `The workspace file API is not available on the Kubernetes runtime yet (project "${target.projectName}").`,
      { project: target.projectName, reason: 'not-supported' },
    );
  }

  stat = async (target: WorkspaceTarget) => this.refuse(target);
  list = async (target: WorkspaceTarget) => this.refuse(target);
  read = async (target: WorkspaceTarget) => this.refuse(target);
  write = async (target: WorkspaceTarget) => this.refuse(target);
  remove = async (target: WorkspaceTarget) => this.refuse(target);
  move = async (target: WorkspaceTarget) => this.refuse(target);
  createDirectory = async (target: WorkspaceTarget) => this.refuse(target);
}
