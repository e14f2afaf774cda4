import type { OutputOffsets, OutputStreamName } from './command-run.js';

/**
 * Turns a command's raw output bytes into stored text chunks.
 *
 * - A chunk never splits a UTF-8 sequence: incomplete trailing bytes wait for the next piece.
 * - Text is decoded as the WHATWG decoder decodes the whole stream at once: valid UTF-8 comes out
 *   exactly (byte order marks included), each invalid sequence becomes one U+FFFD. So the chunks'
 *   `data` concatenate to the same text however the bytes were split, and however often a follow
 *   stream was resumed from {@link OutputChunker.offsets}.
 * - A chunk's `data` is at most `maxChunkBytes` bytes of UTF-8.
 */

/** One stored piece of output. */
export interface OutputChunk {
  stream: OutputStreamName;
  /** The text of `bytes`: each invalid sequence is one U+FFFD. */
  data: string;
  /** The raw bytes, exactly as the command wrote them. */
  bytes: Uint8Array;
  /** Raw stream bytes this chunk covers (equals the UTF-8 length of `data` for valid input). */
  byteLength: number;
  /** Stream offset just after this chunk's bytes: store it with the chunk, resume from it. */
  endOffset: number;
}

export const DEFAULT_MAX_CHUNK_BYTES = 16 * 1024;
/** The longest UTF-8 sequence: a smaller chunk could not hold every character. */
export const MIN_MAX_CHUNK_BYTES = 4;

export interface OutputChunkerOptions {
  /** Largest chunk, in bytes of UTF-8. Default {@link DEFAULT_MAX_CHUNK_BYTES}. */
  maxChunkBytes?: number;
  /** Offsets the streams resume from (the last stored `endOffset`s). Default 0. */
  offsets?: OutputOffsets;
}

/** Chunks stdout and stderr of one command, each with its own carry-over. */
export class OutputChunker {
  private readonly streams: Record<OutputStreamName, Utf8StreamChunker>;

  constructor(options: OutputChunkerOptions = {}) {
    const max = options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES;
    this.streams = {
      stdout: new Utf8StreamChunker('stdout', max, options.offsets?.stdoutOffset ?? 0),
      stderr: new Utf8StreamChunker('stderr', max, options.offsets?.stderrOffset ?? 0),
    };
  }

  /** Chunks completed by `bytes` of `stream`, in order. */
  push(stream: OutputStreamName, bytes: Uint8Array): OutputChunk[] {
    return this.streams[stream].push(bytes);
  }

  /** At the end of the output: incomplete trailing sequences become U+FFFD chunks. */
  flush(): OutputChunk[] {
    return [...this.streams.stdout.flush(), ...this.streams.stderr.flush()];
  }

  /**
   * Where each stream's emitted chunks end. Bytes held back (an incomplete character) are not
   * included: a follow resumed from here reads them again.
   */
  offsets(): OutputOffsets {
    return { stdoutOffset: this.streams.stdout.offset, stderrOffset: this.streams.stderr.offset };
  }
}

/** Chunks one stream. */
export class Utf8StreamChunker {
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private pending: Uint8Array = new Uint8Array(0);
  private emitted: number;

  constructor(
    readonly stream: OutputStreamName,
    private readonly maxChunkBytes: number,
    startOffset = 0,
  ) {
    if (!Number.isSafeInteger(maxChunkBytes) || maxChunkBytes < MIN_MAX_CHUNK_BYTES) {
      throw new RangeError(`maxChunkBytes must be an integer of at least ${MIN_MAX_CHUNK_BYTES}`);
    }
    if (!Number.isSafeInteger(startOffset) || startOffset < 0) {
      throw new RangeError('startOffset must be a non-negative integer');
    }
    this.emitted = startOffset;
  }

  /** End of the last emitted chunk. */
  get offset(): number {
    return this.emitted;
  }

  /** Bytes held back because they start a character that is not complete yet (0 to 3). */
  get pendingBytes(): number {
    return this.pending.length;
  }

  push(bytes: Uint8Array): OutputChunk[] {
    if (bytes.length === 0) return [];
    const buf = this.pending.length === 0 ? bytes : concat(this.pending, bytes);
    const chunks: OutputChunk[] = [];
    let start = 0;
    while (start < buf.length) {
      const end = Math.min(start + this.maxChunkBytes, buf.length);
      let cut = cleanCut(buf, start, end);
      if (cut === start) break; // only an incomplete character is left
      let data = this.decoder.decode(buf.subarray(start, cut));
      if (data.includes('\uFFFD') && utf8Length(data) > this.maxChunkBytes) {
        // Invalid bytes grew into U+FFFD (three bytes each): measure unit by unit instead.
        cut = fittingCut(buf, start, this.maxChunkBytes);
        if (cut === start) break;
        data = this.decoder.decode(buf.subarray(start, cut));
      }
      chunks.push(this.chunk(data, buf.slice(start, cut)));
      start = cut;
    }
    this.pending = buf.slice(start);
    return chunks;
  }

  flush(): OutputChunk[] {
    if (this.pending.length === 0) return [];
    const data = this.decoder.decode(this.pending);
    const chunk = this.chunk(data, this.pending);
    this.pending = new Uint8Array(0);
    return [chunk];
  }

  private chunk(data: string, bytes: Uint8Array): OutputChunk {
    this.emitted += bytes.length;
    return { stream: this.stream, data, bytes, byteLength: bytes.length, endOffset: this.emitted };
  }
}

/**
 * The largest position in (start, end] at which decoding can stop without changing the result:
 * `end`, unless the bytes before it begin a well-formed sequence that is still incomplete, in
 * which case the position of that sequence's first byte (returned even when it equals `start`).
 */
function cleanCut(buf: Uint8Array, start: number, end: number): number {
  let i = end - 1;
  let continuations = 0;
  while (continuations < 3 && i >= start && isContinuation(buf[i]!)) {
    continuations++;
    i--;
  }
  if (i < start) return end;
  const lead = buf[i]!;
  const needed = sequenceLength(lead) - 1;
  if (needed <= continuations) return end;
  // A second byte outside the lead's range makes the decoder reject the sequence at once.
  if (continuations >= 1) {
    const [low, high] = secondByteRange(lead);
    const second = buf[i + 1]!;
    if (second < low || second > high) return end;
  }
  return i;
}

/**
 * The largest decoder-unit boundary after `start` whose text fits in `max` bytes of UTF-8. A unit
 * is what the WHATWG decoder consumes at once: a valid sequence (its own size in the output) or a
 * maximal invalid subpart (one U+FFFD, three bytes). Returns `start` when the first unit is an
 * incomplete sequence at the end of the buffer.
 */
function fittingCut(buf: Uint8Array, start: number, max: number): number {
  let at = start;
  let size = 0;
  while (at < buf.length) {
    const lead = buf[at]!;
    const needed = sequenceLength(lead) - 1;
    let length = 1;
    let out = lead < 0x80 ? 1 : 3;
    if (needed > 0) {
      const [low, high] = secondByteRange(lead);
      let valid = 0;
      while (valid < needed && at + 1 + valid < buf.length) {
        const byte = buf[at + 1 + valid]!;
        const ok = valid === 0 ? byte >= low && byte <= high : isContinuation(byte);
        if (!ok) break;
        valid++;
      }
      if (valid < needed && at + 1 + valid === buf.length) break; // incomplete: wait for more
      length = 1 + valid;
      out = valid === needed ? length : 3;
    }
    if (size + out > max) break;
    size += out;
    at += length;
  }
  return at;
}

function isContinuation(byte: number): boolean {
  return byte >= 0x80 && byte <= 0xbf;
}

/** Total length of the sequence a lead byte starts; 1 for ASCII and for bytes that start none. */
function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 1;
}

/** Second-byte ranges of the WHATWG UTF-8 decoder (no overlongs, surrogates or > U+10FFFF). */
function secondByteRange(lead: number): [number, number] {
  if (lead === 0xe0) return [0xa0, 0xbf];
  if (lead === 0xed) return [0x80, 0x9f];
  if (lead === 0xf0) return [0x90, 0xbf];
  if (lead === 0xf4) return [0x80, 0x8f];
  return [0x80, 0xbf];
}

/** Bytes `text` takes in UTF-8 (lone surrogates count as the three bytes of U+FFFD). */
export function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) length += 1;
    else if (code < 0x800) length += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length += 4;
        i++;
      } else length += 3;
    } else length += 3;
  }
  return length;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
