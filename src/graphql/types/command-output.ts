import { COMMAND_STATUSES, type CommandEnd, OUTPUT_STREAMS, type OutputEvent } from '../../domain/command.js';
import { localId } from '../../domain/global-id.js';
import { COMMAND_END_WIRE, OUTPUT_EVENT_WIRE, type WireField } from '../../domain/output-event-wire.js';
import { builder } from '../builder.js';
import { describedValues } from '../described-values.js';

export const CommandStatusEnum = builder.enumType('CommandStatus', {
  description: 'Where a command is in its life: QUEUED, RUNNING, then one of the final statuses.',
  values: describedValues(COMMAND_STATUSES, {
    QUEUED: 'Waiting for a free slot in its project (`Project.maxConcurrentCommands`).',
    RUNNING: 'Started in its workspace.',
    SUCCEEDED: 'Exited with code 0.',
    FAILED:
      'Exited with another code, was killed by a signal, could not start, or its output could not be stored (the database kept refusing it; `error` says why).',
    CANCELLED: 'Stopped by `cancelCommand`.',
    TIMED_OUT: 'Stopped after `timeoutSeconds`.',
    LOST: 'Its workspace went away under it; its end is unknown.',
  }),
});
const OutputStreamEnum = builder.enumType('OutputStream', {
  description: 'Where a piece of output came from.',
  values: describedValues(OUTPUT_STREAMS, {
    STDOUT: 'The standard output of the process.',
    STDERR: 'The standard error of the process.',
    SYSTEM: 'A line from rdev itself, e.g. that stored output was truncated.',
  }),
});

/** The part of Pothos's field builder used here: the field types come from a table, not from code. */
interface FieldBuilder {
  field(options: {
    type: never;
    nullable: boolean;
    description?: string;
    resolve(source: unknown): never;
  }): unknown;
}

/**
 * Each field of a wire table, of the GraphQL type it names (`types` maps the names of this
 * schema's own enums and objects to their refs), resolved to the property of the same name or
 * made by the field's `read`.
 */
function wireFields(
  t: FieldBuilder,
  table: Record<string, WireField>,
  types: Record<string, unknown>,
): never {
  return Object.fromEntries(
    Object.entries(table).map(([name, field]) => [
      name,
      t.field({
        type: (types[field.type] ?? field.type) as never,
        nullable: field.nullable,
        ...(field.description ? { description: field.description } : {}),
        resolve: (source) =>
          (field.read
            ? field.read(source as OutputEvent)
            : ((source as Record<string, unknown>)[name] ?? null)) as never,
      }),
    ]),
  ) as never;
}

const CommandEndRef = builder.objectRef<CommandEnd>('CommandEnd').implement({
  description: 'How a command ended: set on its final output event only.',
  fields: (t) => wireFields(t as never, COMMAND_END_WIRE, { CommandStatus: CommandStatusEnum }),
});

export const CommandOutputEventRef = builder.objectRef<OutputEvent>('CommandOutputEvent').implement({
  description:
    "One piece of a command's output. `seq` numbers events from 1 without gaps: resume with `after: <last seq seen>`.",
  fields: (t) =>
    wireFields(t as never, OUTPUT_EVENT_WIRE, { OutputStream: OutputStreamEnum, CommandEnd: CommandEndRef }),
});

builder.subscriptionField('commandOutput', (t) =>
  t.field({
    type: CommandOutputEventRef,
    description:
      'Stored output after `after` (default 0: from the start), then live output, ending with the event whose `end` is set. Scope `commands:read`; an unknown or hidden command fails at once with NOT_FOUND.',
    args: {
      commandId: t.arg.id({
        required: true,
        description: 'The command to follow: its global id or its plain UUID.',
      }),
      after: t.arg.int({
        required: false,
        description: 'The last `seq` already seen; default 0 (from the start).',
      }),
    },
    authScopes: { scope: 'commands:read' },
    subscribe: async (_root, args, ctx) => {
      const id = localId(String(args.commandId), 'Command');
      // Authorised before the first event: an unknown or hidden command fails at once.
      return ctx.services.commandOutput.followOutput(ctx.principal, id, args.after ?? 0);
    },
    resolve: (event: OutputEvent) => event,
  }),
);
