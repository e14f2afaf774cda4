import type { Command } from '../api/types';

/**
 * The place on a command's page for steering a two-way command: a message box for a Claude
 * session's next turn, each pending permission request as an Approve/Deny card showing the tool
 * and its input, questions with their options, and input for a shell with open stdin. It stays
 * empty until the API offers sessions (`sendClaudeMessage`, `answerClaudePermission`,
 * `Command.pendingPermissions`, `Command.waitingFor`): nothing is shown that cannot be done.
 */
export function SessionControls(_props: { command: Command }) {
  return null;
}
