import { type CommandEnd, type OutputEvent, outputEventBytes } from './command.js';

/**
 * An output event as clients see it, defined once for every transport: the GraphQL type
 * `CommandOutputEvent` (and its fast path for subscriptions), and the legacy SSE stream.
 * `type` names the GraphQL type of a field; the JSON transports write the same values (dates as
 * ISO 8601 text, enums by name).
 */
export interface WireField {
  type: 'Int' | 'String' | 'DateTime' | 'JSON' | 'OutputStream' | 'CommandStatus' | 'CommandEnd';
  nullable: boolean;
  description?: string;
  /** How the value is made from the event, when it is not the event's property of the same name. */
  read?(event: OutputEvent): unknown;
}

/** The exact bytes of an event, in base64. */
export function dataBase64(e: OutputEvent): string {
  const bytes = outputEventBytes(e);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** How a command ended, on its final output event only. */
export const COMMAND_END_WIRE = {
  status: { type: 'CommandStatus', nullable: false, description: 'The final status.' },
  exitCode: {
    type: 'Int',
    nullable: true,
    description: 'The exit code; null when killed by a signal or never started.',
  },
  signal: {
    type: 'String',
    nullable: true,
    description: 'The signal that ended the process (e.g. `SIGTERM`), if any.',
  },
  error: {
    type: 'String',
    nullable: true,
    description: 'Why rdev could not run or finish the command, if it could not.',
  },
} as const satisfies Record<keyof CommandEnd, WireField>;

/** The fields of an output event, in the order clients receive them. */
export const OUTPUT_EVENT_WIRE = {
  seq: {
    type: 'Int',
    nullable: false,
    description: 'Position in the output, from 1 without gaps; resume with `after: seq`.',
  },
  stream: { type: 'OutputStream', nullable: false, description: 'Which stream the text came from.' },
  data: {
    type: 'String',
    nullable: false,
    description:
      'The text of the bytes: invalid UTF-8 sequences and NUL bytes read as U+FFFD. Events are cut between characters, so valid UTF-8 output reads exactly; where the bytes are not valid UTF-8 (binary output), use `dataBase64`, and concatenate its bytes to get exactly what the command wrote.',
  },
  dataBase64: {
    type: 'String',
    nullable: false,
    description:
      'The exact bytes of this event, as the command wrote them, in base64 (RFC 4648, with padding). The bytes of consecutive events of a stream concatenate to its output byte for byte; decode the concatenation, not each event, when you need the exact text.',
    read: dataBase64,
  },
  at: { type: 'DateTime', nullable: false, description: 'When rdev received the text.' },
  claude: {
    type: 'JSON',
    nullable: true,
    description: 'CLAUDE commands: the parsed stream-json message this line carried.',
  },
  end: {
    type: 'CommandEnd',
    nullable: true,
    description: 'Set on the final event only: how the command ended.',
  },
} as const satisfies Record<Exclude<keyof OutputEvent, 'commandId' | 'bytes'> | 'dataBase64', WireField>;

/**
 * The fields the legacy SSE stream sends, from {@link OUTPUT_EVENT_WIRE}: it predates the parsed
 * Claude message, and its end event carries the {@link COMMAND_END_WIRE} fields beside these
 * rather than under `end`.
 */
export const LEGACY_OUTPUT_FIELDS = [
  'seq',
  'stream',
  'data',
  'dataBase64',
  'at',
] as const satisfies readonly (keyof typeof OUTPUT_EVENT_WIRE)[];

/** An event's `data` on the legacy SSE stream: JSON of {@link LEGACY_OUTPUT_FIELDS}, and the end's fields on the end event. */
export function legacyOutputEventJson(e: OutputEvent): string {
  if (!e.end) {
    // Written out rather than through an object per event: a replay sends many thousands. The
    // same keys in the same order as the end event's; `stream` is an enum name, `at` an ISO date
    // and `dataBase64` base64, none needing escapes.
    return `{"seq":${e.seq},"stream":"${e.stream}","data":${JSON.stringify(e.data)},"dataBase64":"${dataBase64(e)}","at":"${e.at.toISOString()}"}`;
  }
  const base = {
    seq: e.seq,
    stream: e.stream,
    data: e.data,
    dataBase64: dataBase64(e),
    at: e.at.toISOString(),
  };
  return JSON.stringify({ ...base, ...e.end });
}
