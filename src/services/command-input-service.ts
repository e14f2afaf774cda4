import { randomUUID } from 'node:crypto';
import { auditActor } from '../domain/audit.js';
import { requireScope } from '../domain/authorization.js';
import { claudeInterruptRequest, claudeUserMessage } from '../domain/claude-input.js';
import type { Command } from '../domain/command.js';
import { CommandNotAcceptingInputError, ValidationError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import type { InputRefusal } from '../ports/command-input-store.js';
import type { CommandStore } from '../ports/command-store.js';
import type { EventBus } from '../ports/event-bus.js';
import type { UnitOfWork } from '../ports/unit-of-work.js';
import {
  type ClaudeSessionInput,
  claudeMessageSchema,
  claudeSessionSchema,
  commandInputSchema,
  type SendClaudeMessageInput,
  type SendCommandInput,
} from './command-inputs.js';
import { parseInput } from './validation.js';
import { visibleCommand } from './visible-command.js';

export type { ClaudeSessionInput, SendClaudeMessageInput, SendCommandInput } from './command-inputs.js';

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

/** What a piece of input is, for the audit row; plain input has no kind. */
type InputKind = 'message' | 'interrupt' | 'end';

/**
 * Input for commands whose stdin stays open, and the messages of interactive Claude sessions,
 * which travel the same way. Accepted input is stored (with its audit row) before the call
 * answers; the replica that holds the command's lease writes it into the run folder, in order and
 * once, and the bus tells that replica there is something to write.
 */
export class CommandInputService {
  constructor(private readonly deps: CommandInputServiceDeps) {}

  async send(caller: Principal | null, input: SendCommandInput): Promise<Command> {
    requireScope(caller, 'commands:input');
    const data = parseInput(commandInputSchema, input);
    const bytes =
      data.dataBase64 != null ? Buffer.from(data.dataBase64, 'base64') : Buffer.from(data.data ?? '', 'utf8');
    this.checkSize(bytes, data.dataBase64 != null ? 'dataBase64' : 'data');
    // Reading the command first keeps one answer for unknown and hidden commands alike.
    const command = await visibleCommand(this.deps.store, caller, data.commandId);
    return this.accept(caller, command, bytes, data.eof ?? false, null);
  }

  /** The next user message of an interactive Claude session. */
  async sendClaudeMessage(caller: Principal | null, input: SendClaudeMessageInput): Promise<Command> {
    requireScope(caller, 'commands:input');
    const data = parseInput(claudeMessageSchema, input);
    const line = claudeUserMessage(data.text);
    this.checkSize(line, 'text');
    const command = await this.claudeSession(caller, data.commandId);
    return this.accept(caller, command, line, false, 'message');
  }

  /** Closes the session's stdin: the CLI finishes the turn in progress and exits. */
  async endClaudeSession(caller: Principal | null, input: ClaudeSessionInput): Promise<Command> {
    requireScope(caller, 'commands:input');
    const data = parseInput(claudeSessionSchema, input);
    const command = await this.claudeSession(caller, data.commandId);
    return this.accept(caller, command, new Uint8Array(), true, 'end');
  }

  /** Asks the CLI to stop the turn in progress; the session stays open for the next message. */
  async interruptClaude(caller: Principal | null, input: ClaudeSessionInput): Promise<Command> {
    requireScope(caller, 'commands:input');
    const data = parseInput(claudeSessionSchema, input);
    const command = await this.claudeSession(caller, data.commandId);
    return this.accept(caller, command, claudeInterruptRequest(randomUUID()), false, 'interrupt');
  }

  private checkSize(bytes: Uint8Array, path: string): void {
    if (bytes.length <= this.deps.limits.inputMaxBytes) return;
    throw new ValidationError([
      {
        path,
        message: `must be at most ${this.deps.limits.inputMaxBytes} bytes per call (this is ${bytes.length}); send it in several calls`,
      },
    ]);
  }

  private async claudeSession(caller: Principal, commandId: string): Promise<Command> {
    const command = await visibleCommand(this.deps.store, caller, commandId);
    if (command.type !== 'CLAUDE' || !command.claude?.interactive) {
      throw new CommandNotAcceptingInputError(
        `Command "${command.id}" is not an interactive Claude session: start one with runClaude and interactive: true.`,
        { reason: 'not-interactive', commandId: command.id },
      );
    }
    return command;
  }

  private async accept(
    caller: Principal,
    command: Command,
    bytes: Uint8Array,
    eof: boolean,
    kind: InputKind | null,
  ): Promise<Command> {
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
        details: {
          projectName: command.projectName,
          bytes: bytes.length,
          eof,
          seq: result.seq,
          ...(kind ? { kind } : {}),
        },
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
