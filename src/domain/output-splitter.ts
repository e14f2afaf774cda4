import { Utf8StreamChunker } from './output-chunker.js';

/** A piece of output: its raw bytes and their text. */
export interface OutputPiece {
  data: string;
  bytes: Uint8Array;
}

/**
 * Splits bytes into pieces whose text is at most `maxBytes` bytes of UTF-8, never inside a
 * character. `bytes` must start where decoding can start (after a whole character): each piece's
 * text is then exactly that piece of the whole text.
 */
export function splitBytes(bytes: Uint8Array, maxBytes: number): OutputPiece[] {
  const chunker = new Utf8StreamChunker('stdout', maxBytes);
  return [...chunker.push(bytes), ...chunker.flush()].map(({ data, bytes }) => ({ data, bytes }));
}

const NEWLINE = 0x0a;

/**
 * Cuts a byte stream into whole lines (each keeping its `\n`), holding back the unfinished last
 * line. It cuts bytes, not text, so that each line keeps the exact bytes it was written with; a
 * newline byte ends every UTF-8 sequence, valid or not, so the text of each line is the text of
 * the whole stream cut at its newlines. `tailBytes` is what is held back, so a resumed reader can
 * start before it.
 */
export class LineSplitter {
  /** The unfinished line, in the pieces it came in: joined once, when its newline comes. */
  private tail: Uint8Array[] = [];
  private held = 0;

  constructor(private readonly maxLineBytes: number) {}

  push(bytes: Uint8Array): { lines: Uint8Array[]; overflow: Uint8Array | null } {
    const cut = bytes.lastIndexOf(NEWLINE);
    if (cut === -1) {
      this.tail.push(bytes);
      this.held += bytes.length;
      // A line longer than any sane message: pass it on as plain output rather than hold it.
      if (this.held > this.maxLineBytes) return { lines: [], overflow: this.flush() };
      return { lines: [], overflow: null };
    }
    const complete = concat([...this.tail, bytes.subarray(0, cut + 1)]);
    const rest = bytes.subarray(cut + 1);
    this.tail = rest.length > 0 ? [rest] : [];
    this.held = rest.length;
    const lines: Uint8Array[] = [];
    for (let start = 0; start < complete.length; ) {
      const end = complete.indexOf(NEWLINE, start) + 1;
      lines.push(complete.subarray(start, end));
      start = end;
    }
    return { lines, overflow: null };
  }

  /** The unfinished last line, at the end of the output. */
  flush(): Uint8Array {
    const rest = concat(this.tail);
    this.tail = [];
    this.held = 0;
    return rest;
  }

  get tailBytes(): number {
    return this.held;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
