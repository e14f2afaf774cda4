import { canAccessProject, requireScope } from '../domain/authorization.js';
import type { Command } from '../domain/command.js';
import { NotFoundError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import type { CommandStore } from '../ports/command-store.js';

/**
 * The command `id` when the caller may read it. An unknown command and one in a project the key
 * is not granted fail alike, so a key never learns that a hidden command exists.
 */
export async function visibleCommand(
  store: CommandStore,
  caller: Principal | null,
  id: string,
): Promise<Command> {
  requireScope(caller, 'commands:read');
  const command = await store.get(id);
  if (!command || !canAccessProject(caller, command.projectName)) throw new NotFoundError('Command', id);
  return command;
}
