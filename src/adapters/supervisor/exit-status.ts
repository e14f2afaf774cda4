import { constants } from 'node:os';

/** Raised when supervisor output does not follow the protocol (corrupt stream or wrong script). */
export class SupervisorProtocolError extends Error {
  readonly code = 'SUPERVISOR_PROTOCOL_ERROR';

  constructor(message: string) {
    super(message);
    this.name = 'SupervisorProtocolError';
  }
}

/** How a supervised command ended, decoded from the run folder's `exit` file (`code N[ REASON]`). */
export interface ExitStatus {
  /** The exit code, or null when the command was ended by a signal. */
  exitCode: number | null;
  /** The signal name (`SIGTERM`) when the status was 128 + a known signal number. */
  signal: NodeJS.Signals | null;
  /** Why the supervisor itself chose the code, e.g. `no-cwd` with 126. */
  reason: string | null;
  /** The line as written by the supervisor, kept for diagnostics. */
  raw: string;
}

// First name wins, so aliases such as SIGIOT do not hide the usual SIGABRT.
const SIGNAL_BY_NUMBER: ReadonlyMap<number, NodeJS.Signals> = (() => {
  const byNumber = new Map<number, NodeJS.Signals>();
  for (const [name, num] of Object.entries(constants.signals)) {
    if (!byNumber.has(num)) byNumber.set(num, name as NodeJS.Signals);
  }
  return byNumber;
})();

/** The name of signal number `num` on this platform, or null when there is none. */
export function signalName(num: number): NodeJS.Signals | null {
  return SIGNAL_BY_NUMBER.get(num) ?? null;
}

const REASON = /^[a-z0-9][a-z0-9-]{0,63}$/;
const EXIT_LINE = /^code (0|[1-9][0-9]{0,2})(?: ([a-z0-9][a-z0-9-]{0,63}))?$/;

/** Whether `text` is a well-formed supervisor reason word (`no-cwd`, `waiter-gone`). */
export function isReason(text: string): boolean {
  return REASON.test(text);
}

/**
 * Decodes an exit line. Shells report death by signal N as status 128 + N, so such statuses are
 * returned as a signal (143 is SIGTERM, 137 is SIGKILL); a command that deliberately exits with
 * such a code cannot be told apart, which is the shell's own limitation.
 */
export function parseExitStatus(raw: string): ExitStatus {
  const line = raw.endsWith('\n') ? raw.slice(0, -1) : raw;
  const match = EXIT_LINE.exec(line);
  if (!match) throw new SupervisorProtocolError(`malformed exit status ${JSON.stringify(line.slice(0, 80))}`);
  const status = Number(match[1]);
  if (status > 255) throw new SupervisorProtocolError(`exit status out of range: ${status}`);
  const reason = match[2] ?? null;
  const signal = status > 128 ? signalName(status - 128) : null;
  return { exitCode: signal ? null : status, signal, reason, raw: line };
}

/** The state of a run folder as reported by `status` (and printed by `start`). */
export type SupervisorStatus =
  | { state: 'running'; pgid: number }
  | { state: 'exited'; exit: ExitStatus }
  | { state: 'starting' }
  | { state: 'not-started' }
  | { state: 'lost'; reason: string };

/** Decodes the single line printed by the `status` and `start` operations. */
export function parseStatusLine(output: string): SupervisorStatus {
  const line = output.endsWith('\n') ? output.slice(0, -1) : output;
  if (line === 'starting' || line === 'not-started') return { state: line };
  const space = line.indexOf(' ');
  const word = space === -1 ? line : line.slice(0, space);
  const rest = space === -1 ? '' : line.slice(space + 1);
  if (word === 'running' && /^[1-9][0-9]{0,9}$/.test(rest)) return { state: 'running', pgid: Number(rest) };
  if (word === 'exited') return { state: 'exited', exit: parseExitStatus(rest) };
  if (word === 'lost' && REASON.test(rest)) return { state: 'lost', reason: rest };
  throw new SupervisorProtocolError(`malformed status line ${JSON.stringify(line.slice(0, 80))}`);
}
