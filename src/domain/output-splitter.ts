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
  private tail: Uint8Array = new Uint8Array(0);

  constructor(private readonly maxLineBytes: number) {}

  push(bytes: Uint8Array): { lines: Uint8Array[]; overflow: Uint8Array | null } {
    const combined = this.tail.length === 0 ? bytes : concat(this.tail, bytes);
    const cut = combined.lastIndexOf(NEWLINE);
    if (cut === -1) {
      this.tail = combined;
      if (this.tail.length > this.maxLineBytes) {
        // A line longer than any sane message: pass it on as plain output rather than hold it.
        const overflow = this.tail;
        this.tail = new Uint8Array(0);
        return { lines: [], overflow };
      }
      return { lines: [], overflow: null };
    }
    this.tail = combined.slice(cut + 1);
    const lines: Uint8Array[] = [];
    let start = 0;
    while (start <= cut) {
      const end = combined.indexOf(NEWLINE, start) + 1;
      lines.push(combined.slice(start, end));
      start = end;
    }
    return { lines, overflow: null };
  }

  /** The unfinished last line, at the end of the output. */
  flush(): Uint8Array {
    const rest = this.tail;
    this.tail = new Uint8Array(0);
    return rest;
  }

  get tailBytes(): number {
    return this.tail.length;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
