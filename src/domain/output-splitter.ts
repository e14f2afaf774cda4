/** Splits text into pieces of at most `maxBytes` bytes of UTF-8, never inside a character. */
export function splitByBytes(text: string, maxBytes: number): string[] {
  if (Buffer.byteLength(text) <= maxBytes) return [text];
  const pieces: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < text.length; ) {
    const code = text.codePointAt(i)!;
    const width = code <= 0x7f ? 1 : code <= 0x7ff ? 2 : code <= 0xffff ? 3 : 4;
    const units = code > 0xffff ? 2 : 1;
    if (bytes + width > maxBytes) {
      pieces.push(text.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += width;
    i += units;
  }
  if (start < text.length) pieces.push(text.slice(start));
  return pieces;
}

/**
 * Cuts a text stream into whole lines (each keeping its `\n`), holding back the unfinished last
 * line. `tailBytes` is what is held back, so a resumed reader can start before it.
 */
export class LineSplitter {
  private tail = '';

  constructor(private readonly maxLineBytes: number) {}

  push(text: string): { lines: string[]; overflow: string | null } {
    const combined = this.tail + text;
    const cut = combined.lastIndexOf('\n');
    if (cut === -1) {
      this.tail = combined;
      if (Buffer.byteLength(this.tail) > this.maxLineBytes) {
        // A line longer than any sane message: pass it on as plain text rather than hold it.
        const overflow = this.tail;
        this.tail = '';
        return { lines: [], overflow };
      }
      return { lines: [], overflow: null };
    }
    this.tail = combined.slice(cut + 1);
    const lines = combined.slice(0, cut + 1).match(/[^\n]*\n/g) ?? [];
    return { lines, overflow: null };
  }

  /** The unfinished last line, at the end of the output. */
  flush(): string {
    const rest = this.tail;
    this.tail = '';
    return rest;
  }

  get tailBytes(): number {
    return Buffer.byteLength(this.tail);
  }
}
