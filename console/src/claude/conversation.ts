import type { OutputEvent } from '../api/types';

/** Token counts as the CLI reports them on each assistant message and result. */
export interface Tokens {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export type Entry =
  | { kind: 'init'; seq: number; model: string | null; tools: number; sessionId: string | null }
  | { kind: 'text'; seq: number; text: string; tokens: Tokens | null }
  | { kind: 'thinking'; seq: number; text: string }
  | { kind: 'user'; seq: number; text: string }
  | {
      kind: 'tool';
      seq: number;
      id: string;
      name: string;
      input: unknown;
      result: { text: string; isError: boolean } | null;
    }
  | {
      kind: 'result';
      seq: number;
      subtype: string;
      isError: boolean;
      text: string | null;
      costUsd: number | null;
      durationMs: number | null;
      numTurns: number | null;
      tokens: Tokens | null;
    }
  | { kind: 'note'; seq: number; stream: 'STDERR' | 'SYSTEM'; text: string };

export function tokensOf(usage: any): Tokens | null {
  if (!usage || typeof usage !== 'object') return null;
  return {
    input: Number(usage.input_tokens ?? 0),
    output: Number(usage.output_tokens ?? 0),
    cacheRead: Number(usage.cache_read_input_tokens ?? 0),
    cacheWrite: Number(usage.cache_creation_input_tokens ?? 0),
  };
}

function blockText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((b: any) => (typeof b?.text === 'string' ? b.text : typeof b === 'string' ? b : JSON.stringify(b)))
      .join('\n');
  }
  return content == null ? '' : JSON.stringify(content, null, 2);
}

/**
 * Turns a Claude command's output events (each carrying the parsed stream-json line in `claude`)
 * into a conversation: assistant text, thinking, tool uses paired with their results, and each
 * result's cost and tokens. Lines that are not stream-json (stderr, rdev's notes) become notes.
 */
export class Conversation {
  readonly entries: Entry[] = [];
  private readonly tools = new Map<string, Extract<Entry, { kind: 'tool' }>>();

  add(event: OutputEvent): void {
    const m = event.claude;
    if (!m) {
      if (event.stream !== 'STDOUT' && event.data.trim() !== '')
        this.entries.push({ kind: 'note', seq: event.seq, stream: event.stream, text: event.data.trim() });
      return;
    }
    const seq = event.seq;
    if (m.type === 'system' && m.subtype === 'init') {
      this.entries.push({
        kind: 'init',
        seq,
        model: m.model ?? null,
        tools: Array.isArray(m.tools) ? m.tools.length : 0,
        sessionId: m.session_id ?? null,
      });
    } else if (m.type === 'assistant') {
      const content: any[] = Array.isArray(m.message?.content) ? m.message.content : [];
      let lastText: Extract<Entry, { kind: 'text' }> | null = null;
      for (const block of content) {
        if (block?.type === 'text') {
          lastText = { kind: 'text', seq, text: String(block.text ?? ''), tokens: null };
          this.entries.push(lastText);
        } else if (block?.type === 'thinking') {
          this.entries.push({ kind: 'thinking', seq, text: String(block.thinking ?? '') });
        } else if (block?.type === 'tool_use') {
          const tool = {
            kind: 'tool' as const,
            seq,
            id: String(block.id ?? seq),
            name: String(block.name ?? 'tool'),
            input: block.input,
            result: null,
          };
          this.tools.set(tool.id, tool);
          this.entries.push(tool);
        }
      }
      if (lastText) lastText.tokens = tokensOf(m.message?.usage);
    } else if (m.type === 'user') {
      const content = m.message?.content;
      if (typeof content === 'string') {
        this.entries.push({ kind: 'user', seq, text: content });
        return;
      }
      for (const block of Array.isArray(content) ? content : []) {
        if (block?.type === 'tool_result') {
          const result = { text: blockText(block.content), isError: block.is_error === true };
          const tool = this.tools.get(String(block.tool_use_id));
          if (tool) tool.result = result;
          else
            this.entries.push({
              kind: 'tool',
              seq,
              id: String(block.tool_use_id),
              name: 'tool',
              input: null,
              result,
            });
        } else if (block?.type === 'text') {
          this.entries.push({ kind: 'user', seq, text: String(block.text ?? '') });
        }
      }
    } else if (m.type === 'result') {
      this.entries.push({
        kind: 'result',
        seq,
        subtype: String(m.subtype ?? ''),
        isError: m.is_error === true || (m.api_error_status != null && m.api_error_status !== 0),
        text: typeof m.result === 'string' ? m.result : null,
        costUsd: typeof m.total_cost_usd === 'number' ? m.total_cost_usd : null,
        durationMs: typeof m.duration_ms === 'number' ? m.duration_ms : null,
        numTurns: typeof m.num_turns === 'number' ? m.num_turns : null,
        tokens: tokensOf(m.usage),
      });
    }
  }
}

/** A tool call in one line: the command, path or first string argument it was given. */
export function toolSummary(input: unknown): string {
  if (!input || typeof input !== 'object') return '';
  const o = input as Record<string, unknown>;
  const pick =
    o.command ??
    o.file_path ??
    o.path ??
    o.pattern ??
    o.url ??
    Object.values(o).find((v) => typeof v === 'string');
  const text = typeof pick === 'string' ? pick : '';
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}
