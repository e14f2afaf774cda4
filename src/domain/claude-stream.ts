/**
 * Reading `claude -p --output-format stream-json` output: one JSON object per line, lines as long
 * as the tool results they carry (megabytes), arriving split across output chunks. The session
 * (id, cost, turns, usage) comes from `init` and `result`; success is decided by `result` alone.
 */

/** One stream-json message. Known fields are typed; everything else is kept as the CLI sent it. */
export interface ClaudeStreamMessage {
  type: string;
  subtype?: string;
  session_id?: string;
  [field: string]: unknown;
}

export const DEFAULT_MAX_LINE_LENGTH = 16 * 1024 * 1024;

/**
 * Reassembles lines from text pieces split anywhere. A line longer than `maxLineLength`
 * characters is skipped (and counted) instead of buffered, so memory stays bounded.
 */
export class LineAssembler {
  private parts: string[] = [];
  private partLength = 0;
  private overflowing = false;
  /** Lines dropped for exceeding the limit. */
  skippedLines = 0;

  constructor(private readonly maxLineLength = DEFAULT_MAX_LINE_LENGTH) {}

  /** Complete lines in `text` (without their `\n` or a `\r` before it), in order. */
  push(text: string): string[] {
    const lines: string[] = [];
    let at = 0;
    while (at < text.length) {
      const newline = text.indexOf('\n', at);
      const end = newline === -1 ? text.length : newline;
      this.append(text.slice(at, end));
      if (newline === -1) break;
      const line = this.take();
      if (line !== null) lines.push(line);
      at = newline + 1;
    }
    return lines;
  }

  /** The last line when the text did not end with a newline. */
  flush(): string[] {
    if (this.partLength === 0 && !this.overflowing) return [];
    const line = this.take();
    return line === null || line === '' ? [] : [line];
  }

  private append(piece: string): void {
    if (this.overflowing || piece === '') return;
    if (this.partLength + piece.length > this.maxLineLength) {
      this.overflowing = true;
      this.parts = [];
      this.partLength = 0;
      return;
    }
    this.parts.push(piece);
    this.partLength += piece.length;
  }

  private take(): string | null {
    const overflowed = this.overflowing;
    const line = this.parts.join('');
    this.parts = [];
    this.partLength = 0;
    this.overflowing = false;
    if (overflowed) {
      this.skippedLines++;
      return null;
    }
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  }
}

/** The message on one line, or `null` for a blank line, non-JSON text or JSON without a `type`. */
export function parseClaudeLine(line: string): ClaudeStreamMessage | null {
  const text = line.trim();
  if (!text.startsWith('{')) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' ? (value as ClaudeStreamMessage) : null;
}

/** What rdev records about a Claude session. */
export interface ClaudeSessionInfo {
  /** Read from every run: it can change on resume. */
  sessionId: string | null;
  model: string | null;
  costUsd: number | null;
  numTurns: number | null;
  durationMs: number | null;
  /** Token usage as the CLI reports it (`input_tokens`, `output_tokens`, cache fields). */
  usage: Record<string, unknown> | null;
}

/** How a Claude run went, by its `result` message. */
export interface ClaudeOutcome {
  succeeded: boolean;
  /** `success`, `error_max_turns`, `error_during_execution`, `error_max_budget_usd`, ... or null without a result. */
  subtype: string | null;
  /** Why it failed, for a person; null on success. */
  error: string | null;
  /** The final answer text of the result message. */
  result: string | null;
}

/** Follows the messages of one run and keeps the session and the result. */
export class ClaudeRunTracker {
  private info: ClaudeSessionInfo = {
    sessionId: null,
    model: null,
    costUsd: null,
    numTurns: null,
    durationMs: null,
    usage: null,
  };
  private resultMessage: ClaudeStreamMessage | null = null;
  private assistantError: string | null = null;
  private turnEnded = false;

  observe(message: ClaudeStreamMessage): void {
    // A turn ends with its result; the next one begins with anything the model or the CLI says
    // (answers to control requests do not count).
    if (message.type === 'result') this.turnEnded = true;
    else if (message.type !== 'control_response') this.turnEnded = false;
    if (typeof message.session_id === 'string' && message.session_id !== '') {
      this.info.sessionId = message.session_id;
    }
    if (message.type === 'system' && message.subtype === 'init') {
      if (typeof message.model === 'string') this.info.model = message.model;
    } else if (message.type === 'assistant') {
      if (typeof message.error === 'string') this.assistantError = message.error;
    } else if (message.type === 'result') {
      this.resultMessage = message;
      this.info.costUsd = finiteNumber(message.total_cost_usd) ?? this.info.costUsd;
      this.info.numTurns = finiteNumber(message.num_turns) ?? this.info.numTurns;
      this.info.durationMs = finiteNumber(message.duration_ms) ?? this.info.durationMs;
      if (isRecord(message.usage)) this.info.usage = message.usage;
    }
  }

  get session(): ClaudeSessionInfo {
    return { ...this.info };
  }

  /**
   * Whether the last turn ended with its result and nothing began since: an interactive session
   * is then waiting for the next message, and silence is expected.
   */
  get betweenTurns(): boolean {
    return this.turnEnded;
  }

  /** Whether a `result` arrived (a CLI that exits 0 without one did not finish its work). */
  get hasResult(): boolean {
    return this.resultMessage !== null;
  }

  outcome(): ClaudeOutcome {
    const r = this.resultMessage;
    if (!r) {
      const why = this.assistantError ? ` (last error: ${this.assistantError})` : '';
      return { succeeded: false, subtype: null, error: `Claude ended without a result${why}.`, result: null };
    }
    const subtype = typeof r.subtype === 'string' ? r.subtype : null;
    const result = typeof r.result === 'string' ? r.result : null;
    const apiStatus = r.api_error_status;
    let error: string | null = null;
    if (r.is_error === true)
      error = result ? `Claude reported an error: ${excerpt(result)}` : 'Claude reported an error.';
    else if (subtype !== 'success') error = `Claude stopped: ${subtype ?? 'no subtype'}.`;
    // The CLI can report `success` although the API call behind it failed.
    else if (apiStatus !== undefined && apiStatus !== null)
      error = `The Claude API failed with status ${String(apiStatus)}.`;
    return { succeeded: error === null, subtype, error, result };
  }
}

/**
 * Line reassembly, parsing and tracking in one: feed stdout text as it comes, get the messages
 * it completes.
 */
export class ClaudeStreamReader {
  readonly tracker = new ClaudeRunTracker();
  private readonly lines: LineAssembler;
  /** Lines that were not stream-json messages (the CLI's own warnings, for instance). */
  otherLines = 0;

  constructor(options: { maxLineLength?: number } = {}) {
    this.lines = new LineAssembler(options.maxLineLength);
  }

  push(text: string): ClaudeStreamMessage[] {
    return this.parse(this.lines.push(text));
  }

  flush(): ClaudeStreamMessage[] {
    return this.parse(this.lines.flush());
  }

  get skippedLines(): number {
    return this.lines.skippedLines;
  }

  private parse(lines: string[]): ClaudeStreamMessage[] {
    const messages: ClaudeStreamMessage[] = [];
    for (const line of lines) {
      const message = parseClaudeLine(line);
      if (message) {
        this.tracker.observe(message);
        messages.push(message);
      } else if (line.trim() !== '') {
        this.otherLines++;
      }
    }
    return messages;
  }
}

function finiteNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function excerpt(text: string): string {
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
