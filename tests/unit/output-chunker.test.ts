import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type OutputChunk,
  OutputChunker,
  Utf8StreamChunker,
  utf8Length,
} from '../../src/domain/output-chunker.js';
import { LineSplitter, splitBytes } from '../../src/domain/output-splitter.js';

const encoder = new TextEncoder();
const wholeDecode = (bytes: Uint8Array) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);

/** Text with plenty of multi-byte characters: 2-, 3- and 4-byte sequences, a BOM, a U+FFFD. */
const mixedText = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 8 }),
      fc.constantFrom('é', '€', '😀', '\uFEFF', '\uFFFD', '\n', '日本語', 'a'),
      fc.string({ unit: 'binary', maxLength: 8 }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));

/** Byte positions at which to split `length` bytes, sorted. */
function splits(length: number) {
  return fc
    .uniqueArray(fc.integer({ min: 0, max: length }), { maxLength: 20 })
    .map((points) => points.sort((a, b) => a - b));
}

function pieces(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const point of [...points, bytes.length]) {
    out.push(bytes.subarray(at, point));
    at = point;
  }
  return out;
}

function chunkAll(bytes: Uint8Array, points: number[], max: number): OutputChunk[] {
  const chunker = new Utf8StreamChunker('stdout', max);
  const chunks = pieces(bytes, points).flatMap((piece) => chunker.push(piece));
  return [...chunks, ...chunker.flush()];
}

function checkChunks(chunks: OutputChunk[], max: number, totalBytes: number) {
  let offset = 0;
  for (const chunk of chunks) {
    expect(utf8Length(chunk.data)).toBeLessThanOrEqual(max);
    expect(chunk.byteLength).toBeGreaterThan(0);
    offset += chunk.byteLength;
    expect(chunk.endOffset).toBe(offset);
  }
  expect(offset).toBe(totalBytes);
}

describe('Utf8StreamChunker', () => {
  it('reassembles valid UTF-8 exactly however the bytes are split, every chunk within the limit', () => {
    fc.assert(
      fc.property(
        mixedText.chain((text) => fc.tuple(fc.constant(text), splits(encoder.encode(text).length))),
        fc.integer({ min: 4, max: 64 }),
        ([text, points], max) => {
          const bytes = encoder.encode(text);
          const chunks = chunkAll(bytes, points, max);
          expect(chunks.map((c) => c.data).join('')).toBe(text);
          checkChunks(chunks, max, bytes.length);
          for (const chunk of chunks) expect(utf8Length(chunk.data)).toBe(chunk.byteLength);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('decodes arbitrary bytes as one whole-stream decode would, deterministically', () => {
    fc.assert(
      fc.property(
        fc
          .uint8Array({ maxLength: 200 })
          .chain((bytes) => fc.tuple(fc.constant(bytes), splits(bytes.length))),
        fc.integer({ min: 4, max: 40 }),
        ([bytes, points], max) => {
          const chunks = chunkAll(bytes, points, max);
          expect(chunks.map((c) => c.data).join('')).toBe(wholeDecode(bytes));
          checkChunks(chunks, max, bytes.length);
          // Each chunk keeps its exact bytes, and its text is theirs.
          expect(Buffer.concat(chunks.map((c) => c.bytes))).toEqual(Buffer.from(bytes));
          for (const chunk of chunks) expect(wholeDecode(chunk.bytes)).toBe(chunk.data);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('gives the same text when a follow resumes from the stored offset after a drop', () => {
    fc.assert(
      fc.property(
        mixedText.chain((text) => fc.tuple(fc.constant(text), splits(encoder.encode(text).length), fc.nat())),
        ([text, points, dropAfter]) => {
          const bytes = encoder.encode(text);
          const all = pieces(bytes, points);
          const first = new Utf8StreamChunker('stdout', 16);
          const stored: OutputChunk[] = [];
          const cut = all.length === 0 ? 0 : dropAfter % (all.length + 1);
          for (const piece of all.slice(0, cut)) stored.push(...first.push(piece));
          // The connection drops: held-back bytes are lost, the follow restarts from the offset.
          const resumed = new Utf8StreamChunker('stdout', 16, first.offset);
          stored.push(...resumed.push(bytes.subarray(first.offset)), ...resumed.flush());
          expect(stored.map((c) => c.data).join('')).toBe(text);
          expect(stored.at(-1)?.endOffset ?? 0).toBe(bytes.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('holds back an incomplete character and turns a truncated one into U+FFFD at the end', () => {
    const chunker = new Utf8StreamChunker('stderr', 16);
    const euro = encoder.encode('€');
    expect(chunker.push(Uint8Array.of(0x61, euro[0]!, euro[1]!))).toEqual([
      { stream: 'stderr', data: 'a', bytes: Uint8Array.of(0x61), byteLength: 1, endOffset: 1 },
    ]);
    expect(chunker.pendingBytes).toBe(2);
    expect(chunker.offset).toBe(1);
    expect(chunker.push(Uint8Array.of(euro[2]!, 0xf0, 0x9f))).toEqual([
      { stream: 'stderr', data: '€', bytes: euro, byteLength: 3, endOffset: 4 },
    ]);
    expect(chunker.flush()).toEqual([
      { stream: 'stderr', data: '\uFFFD', bytes: Uint8Array.of(0xf0, 0x9f), byteLength: 2, endOffset: 6 },
    ]);
    expect(chunker.flush()).toEqual([]);
  });

  it('keeps a byte order mark and bounds chunks of invalid bytes that grow when replaced', () => {
    const bom = new Utf8StreamChunker('stdout', 8);
    expect(bom.push(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41))[0]?.data).toBe('\uFEFFA');
    const invalid = new Utf8StreamChunker('stdout', 8);
    const chunks = [...invalid.push(new Uint8Array(40).fill(0xff)), ...invalid.flush()];
    expect(chunks.map((c) => c.data).join('')).toBe('\uFFFD'.repeat(40));
    for (const chunk of chunks) expect(utf8Length(chunk.data)).toBeLessThanOrEqual(8);
  });

  it('refuses limits that cannot hold a character', () => {
    expect(() => new Utf8StreamChunker('stdout', 3)).toThrow(RangeError);
  });
});

describe('OutputChunker', () => {
  it('keeps separate carry-overs and offsets per stream', () => {
    const chunker = new OutputChunker({ maxChunkBytes: 4, offsets: { stdoutOffset: 10, stderrOffset: 0 } });
    const e = encoder.encode('é');
    expect(chunker.push('stdout', Uint8Array.of(0x61, e[0]!))).toEqual([
      { stream: 'stdout', data: 'a', bytes: Uint8Array.of(0x61), byteLength: 1, endOffset: 11 },
    ]);
    expect(chunker.push('stderr', encoder.encode('hello'))).toEqual([
      { stream: 'stderr', data: 'hell', bytes: encoder.encode('hell'), byteLength: 4, endOffset: 4 },
      { stream: 'stderr', data: 'o', bytes: encoder.encode('o'), byteLength: 1, endOffset: 5 },
    ]);
    expect(chunker.offsets()).toEqual({ stdoutOffset: 11, stderrOffset: 5 });
    expect(chunker.push('stdout', Uint8Array.of(e[1]!))).toEqual([
      { stream: 'stdout', data: 'é', bytes: e, byteLength: 2, endOffset: 13 },
    ]);
    expect(chunker.flush()).toEqual([]);
  });

  it('packs large input into chunks of nearly the full 16 KiB default', () => {
    const text = 'ab€😀\n'.repeat(200_000);
    const chunker = new OutputChunker();
    const chunks = chunker.push('stdout', encoder.encode(text));
    expect(chunks.map((c) => c.data).join('')).toBe(text);
    for (const chunk of chunks.slice(0, -1)) {
      // At most the bytes of one incomplete character are left for the next chunk.
      expect(chunk.byteLength).toBeGreaterThan(16 * 1024 - 4);
      expect(chunk.byteLength).toBeLessThanOrEqual(16 * 1024);
    }
  });
});

describe('LineSplitter and splitBytes', () => {
  it('cut chunked bytes into lines and pieces that keep every byte, with the whole-stream text', () => {
    fc.assert(
      fc.property(
        fc
          .array(
            fc.oneof(
              fc.uint8Array({ maxLength: 12 }),
              fc.constantFrom(Uint8Array.of(0x0a), encoder.encode('é€😀')),
            ),
            { maxLength: 30 },
          )
          .map((parts) => Buffer.concat(parts))
          .chain((bytes) => fc.tuple(fc.constant(new Uint8Array(bytes)), splits(bytes.length))),
        fc.integer({ min: 4, max: 16 }),
        ([bytes, points], max) => {
          const lines = new LineSplitter(1 << 20);
          const out: Uint8Array[] = [];
          for (const chunk of chunkAll(bytes, points, 64)) out.push(...lines.push(chunk.bytes).lines);
          out.push(lines.flush());
          const pieces = out.flatMap((line) => splitBytes(line, max));
          expect(Buffer.concat(pieces.map((p) => p.bytes))).toEqual(Buffer.from(bytes));
          expect(pieces.map((p) => p.data).join('')).toBe(wholeDecode(bytes));
          for (const piece of pieces) expect(utf8Length(piece.data)).toBeLessThanOrEqual(max);
          for (const line of out.slice(0, -1)) expect(line.at(-1)).toBe(0x0a);
        },
      ),
      { numRuns: 300 },
    );
  });
});
