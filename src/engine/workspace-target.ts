import type { Project } from '../domain/project.js';
import type { WorkspaceTarget } from '../ports/workspace-runtime.js';

/** Where the runtime reaches a project's workspace. */
export function workspaceTarget(project: Project): WorkspaceTarget {
  return {
    projectName: project.name,
    workspacePath: project.workspacePath,
    podName: project.podName,
    namespace: project.namespace,
    container: project.container,
    ...(project.sandboxNetwork === false ? { network: false } : {}),
  };
}
