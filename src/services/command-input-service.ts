import { auditActor } from '../domain/audit.js';
import { requireScope } from '../domain/authorization.js';
import type { Command } from '../domain/command.js';
import { CommandNotAcceptingInputError, ValidationError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import type { InputRefusal } from '../ports/command-input-store.js';
import type { CommandStore } from '../ports/command-store.js';
import type { EventBus } from '../ports/event-bus.js';
import type { UnitOfWork } from '../ports/unit-of-work.js';
import { commandInputSchema, type SendCommandInput } from './command-inputs.js';
import { parseInput } from './validation.js';
import { visibleCommand } from './visible-command.js';

export type { SendCommandInput } from './command-inputs.js';

export interface CommandInputServiceDeps {
  store: CommandStore;
  unitOfWork: UnitOfWork;
  bus: EventBus;
  limits: { inputMaxBytes: number };
}

const REFUSALS: Record<InputRefusal, string> = {
  'not-open': 'was not started with openStdin: its stdin is closed',
  ended: 'has ended',
  'eof-sent': 'has had the end of its input (eof) already',
};

/**
 * Input for commands whose stdin stays open. Accepted input is stored (with its audit row) before
 * the call answers; the replica that holds the command's lease writes it into the run folder, in
 * order and once, and the bus tells that replica there is something to write.
 */
export class CommandInputService {
  constructor(private readonly deps: CommandInputServiceDeps) {}

  async send(caller: Principal | null, input: SendCommandInput): Promise<Command> {
    requireScope(caller, 'commands:input');
    const data = parseInput(commandInputSchema, input);
    const bytes =
      data.dataBase64 != null ? Buffer.from(data.dataBase64, 'base64') : Buffer.from(data.data ?? '', 'utf8');
    if (bytes.length > this.deps.limits.inputMaxBytes) {
      throw new ValidationError([
        {
          path: data.dataBase64 != null ? 'dataBase64' : 'data',
          message: `must be at most ${this.deps.limits.inputMaxBytes} bytes per call (this is ${bytes.length}); send it in several calls`,
        },
      ]);
    }
    const eof = data.eof ?? false;
    // Reading the command first keeps one answer for unknown and hidden commands alike.
    const command = await visibleCommand(this.deps.store, caller, data.commandId);
    const placed = await this.deps.unitOfWork.run(async ({ commandInput, audit }) => {
      const result = await commandInput.append(command.id, bytes, eof);
      if (result === null || 'refused' in result) {
        const reason = result?.refused ?? 'ended';
        throw new CommandNotAcceptingInputError(
          `Command "${command.id}" takes no input: it ${REFUSALS[reason]}.`,
          { reason, commandId: command.id },
        );
      }
      await audit.record({
        ...auditActor(caller),
        action: 'command.input',
        targetType: 'Command',
        targetId: command.id,
        outcome: 'SUCCESS',
        // Sizes only: input may be a typed password.
        details: { projectName: command.projectName, bytes: bytes.length, eof, seq: result.seq },
      });
      return result;
    });
    // The input is stored: from here on nothing may fail the call, or a client would send it
    // again. A lost notification only delays delivery until the lease holder's next look.
    await this.deps.bus
      .publish('command_input', { commandId: command.id, seq: placed.seq })
      .catch(() => undefined);
    const fresh = await this.deps.store.get(command.id).catch(() => null);
    return fresh ?? { ...command, inputEof: command.inputEof || eof };
  }
}
