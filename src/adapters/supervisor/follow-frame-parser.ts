import { type ExitStatus, isReason, parseExitStatus, SupervisorProtocolError } from './exit-status.js';

export { SupervisorProtocolError } from './exit-status.js';

/** One decoded frame of `supervise.sh follow` output. */
export type FollowEvent =
  | { kind: 'stdout' | 'stderr'; data: Buffer }
  | { kind: 'heartbeat' }
  | ({ kind: 'exit' } & ExitStatus)
  | { kind: 'lost'; reason: string };

export interface FollowFrameParserOptions {
  /**
   * Largest payload accepted in one frame. The script splits at 64 KiB by default; the bound only
   * keeps a corrupt length from making the parser buffer without limit.
   */
  maxFrameBytes?: number;
}

const NEWLINE = 0x0a;
// `X code 255 some-reason` is the longest legitimate header; anything much longer is garbage.
const MAX_HEADER_BYTES = 128;
const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
const LENGTH = /^(0|[1-9][0-9]{0,15})$/;

/**
 * Incremental decoder for the follow stream: `O n\n` + n bytes, `E n\n` + n bytes, `H\n`, and a
 * final `X code N[ REASON]\n` or `L REASON\n`. Input may be split anywhere; each payload frame is
 * delivered whole, so a consumer that advances its stored offsets by `data.length` per event can
 * always resume exactly after a dropped connection.
 */
export class FollowFrameParser {
  private readonly maxFrameBytes: number;
  private header: Buffer[] = [];
  private headerLength = 0;
  private payloadKind: 'stdout' | 'stderr' | null = null;
  private payload: Buffer[] = [];
  private payloadMissing = 0;
  private ended = false;
  private failure: SupervisorProtocolError | null = null;

  constructor(options: FollowFrameParserOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** True once the final `X` or `L` frame was decoded. */
  get finished(): boolean {
    return this.ended;
  }

  /** True when the bytes fed so far end exactly on a frame boundary. */
  get atFrameBoundary(): boolean {
    return this.headerLength === 0 && this.payloadKind === null;
  }

  /**
   * Decodes `chunk` and returns the events it completes, in stream order.
   * @throws SupervisorProtocolError on malformed input; the parser then rejects all further input.
   */
  push(chunk: Uint8Array): FollowEvent[] {
    if (this.failure) throw this.failure;
    const events: FollowEvent[] = [];
    const input = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let at = 0;
    try {
      while (at < input.length) {
        if (this.ended) {
          throw new SupervisorProtocolError('data after the final frame');
        }
        if (this.payloadKind !== null) {
          const take = Math.min(this.payloadMissing, input.length - at);
          this.payload.push(input.subarray(at, at + take));
          this.payloadMissing -= take;
          at += take;
          if (this.payloadMissing === 0) {
            // Copy: the caller's chunk may be large and long-lived, the frame should not pin it.
            events.push({ kind: this.payloadKind, data: Buffer.concat(this.payload) });
            this.payload = [];
            this.payloadKind = null;
          }
          continue;
        }
        const newline = input.indexOf(NEWLINE, at);
        const end = newline === -1 ? input.length : newline;
        if (this.headerLength + (end - at) > MAX_HEADER_BYTES) {
          throw new SupervisorProtocolError('frame header too long');
        }
        this.header.push(input.subarray(at, end));
        this.headerLength += end - at;
        if (newline === -1) break;
        at = newline + 1;
        const line = Buffer.concat(this.header).toString('latin1');
        this.header = [];
        this.headerLength = 0;
        const event = this.decodeHeader(line);
        if (event) events.push(event);
      }
    } catch (error) {
      if (error instanceof SupervisorProtocolError) this.failure = error;
      throw error;
    }
    return events;
  }

  /**
   * Declares the end of input.
   * @returns whether the stream ended with its final frame; false means the connection dropped and
   * `follow` should be run again from the offsets of the events received.
   */
  end(): boolean {
    return this.ended;
  }

  private decodeHeader(line: string): FollowEvent | null {
    const tag = line.slice(0, 2);
    const rest = line.slice(2);
    if (tag === 'O ' || tag === 'E ') {
      if (!LENGTH.test(rest)) throw new SupervisorProtocolError(`bad frame length in ${quote(line)}`);
      const length = Number(rest);
      if (length > this.maxFrameBytes) {
        throw new SupervisorProtocolError(`frame of ${length} bytes exceeds ${this.maxFrameBytes}`);
      }
      const kind = tag === 'O ' ? 'stdout' : 'stderr';
      if (length === 0) return { kind, data: Buffer.alloc(0) };
      this.payloadKind = kind;
      this.payloadMissing = length;
      return null;
    }
    if (line === 'H') return { kind: 'heartbeat' };
    if (tag === 'X ') {
      const status = parseExitStatus(rest);
      this.ended = true;
      return { kind: 'exit', ...status };
    }
    if (tag === 'L ') {
      if (!isReason(rest)) throw new SupervisorProtocolError(`bad lost reason in ${quote(line)}`);
      this.ended = true;
      return { kind: 'lost', reason: rest };
    }
    throw new SupervisorProtocolError(`unknown frame ${quote(line)}`);
  }
}

function quote(line: string): string {
  return JSON.stringify(line.length > 40 ? line.slice(0, 40) + '…' : line);
}

/**
 * Decodes a whole follow stream, e.g. a child process's stdout or an exec WebSocket's stdout
 * channel. Ends after the final frame, or when the source ends early (a dropped stream: re-follow).
 */
export async function* followEvents(
  source: AsyncIterable<Uint8Array>,
  options?: FollowFrameParserOptions,
): AsyncGenerator<FollowEvent, { finished: boolean }> {
  const parser = new FollowFrameParser(options);
  for await (const chunk of source) {
    for (const event of parser.push(chunk)) yield event;
    if (parser.finished) break;
  }
  return { finished: parser.end() };
}
