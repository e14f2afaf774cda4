import type { Command } from '../api/types';

/**
 * The place on a command's page for what the run changed in the workspace: the files it added,
 * changed and deleted, each with its diff. It stays empty until the API offers
 * `Command.workspaceChanges` and `Project.git`.
 */
export function RunChanges(_props: { command: Command }) {
  return null;
}
