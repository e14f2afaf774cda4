import type { ClaudeRunTracker } from '../domain/claude-stream.js';
import { parseClaudeLine } from '../domain/claude-stream.js';
import type { OutputOffsets, OutputStreamName } from '../domain/command-run.js';
import type { OutputChunker } from '../domain/output-chunker.js';
import { type LineSplitter, splitBytes } from '../domain/output-splitter.js';
import {
  type ClaimedCommand,
  type CommandStore,
  type NewOutputEvent,
  OutputRejectedError,
} from '../ports/command-store.js';
import type { EventBus } from '../ports/event-bus.js';

export interface OutputRecorderDeps {
  store: CommandStore;
  bus: EventBus;
  owner: string;
  settings: { maxChunkBytes: number; outputCapBytes: number };
  /** CLAUDE runs: sees each parsed stream-json line. */
  claude: ClaudeRunTracker | null;
  onOutputBytes?(bytes: number): void;
  log(level: 'info' | 'warn', message: string, details: Record<string, unknown>): void;
  /** A write failed: the follow stream must stop, so that the next one reads from the stored offsets. */
  onWriteFailed(): void;
  /** The store refused a write because this replica no longer holds the lease. */
  onLeaseLost(): void;
  /**
   * The database refused the output itself, {@link REJECTIONS_BEFORE_GIVING_UP} writes in a row:
   * it cannot be stored, and reading it again would fail the same way for ever.
   */
  onRejected(error: OutputRejectedError): void;
  /** Whether the lease was lost: nothing more is written then. */
  leaseLost(): boolean;
}

interface StoredProgress {
  offsets: OutputOffsets;
  storedBytes: number;
  truncated: boolean;
}

const sameOffsets = (a: OutputOffsets, b: OutputOffsets) =>
  a.stdoutOffset === b.stdoutOffset && a.stderrOffset === b.stderrOffset;

const FLUSH_DELAY_MS = 15;
const FLUSH_EVENTS = 200;
const FLUSH_BYTES = 256 * 1024;
/**
 * Writes the database refuses for their values before the output is given up as unstorable: one
 * refusal could be a passing conflict, three in a row (about a second and a half, with the
 * follower's backoff) are the output itself. An unreachable database is waited for however long.
 */
export const REJECTIONS_BEFORE_GIVING_UP = 3;

/**
 * Turns what a follow stream reads into stored output events: cuts it into chunks (and, for
 * CLAUDE runs, whole stream-json lines), enforces the output cap, and stores events and stream
 * offsets together in batches. It knows what the database holds, so that after a failed write the
 * next follow stream starts from there and nothing is lost or repeated.
 */
export class OutputRecorder {
  private batch: NewOutputEvent[] = [];
  private batchBytes = 0;
  /** Where the next follow stream starts: just after what was read (and will be stored). */
  offsets: OutputOffsets;
  private storedBytes: number;
  private truncated: boolean;
  /** What the database holds: where a new follow stream starts after a failed write. */
  private persisted: StoredProgress;
  /** A write failed: the events read since `persisted` are read again from there. */
  private rewind = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private lastFlushAt = 0;
  private flushing: Promise<void> = Promise.resolve();
  /** Writes refused in a row for their values. */
  private rejections = 0;
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(
    private readonly command: ClaimedCommand,
    private readonly deps: OutputRecorderDeps,
  ) {
    this.offsets = { stdoutOffset: command.stdoutOffset, stderrOffset: command.stderrOffset };
    this.storedBytes = command.storedBytes;
    this.truncated = command.outputTruncated;
    this.persisted = { offsets: this.offsets, storedBytes: this.storedBytes, truncated: this.truncated };
  }

  /** True after a failed write, until {@link rewindIfNeeded}. */
  get rewinding(): boolean {
    return this.rewind;
  }

  /** Stops the pending flush timer; the follower is done. */
  dispose(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
  }

  /** After a failed write: forgets what was read but not stored, and the next stream reads it again. */
  rewindIfNeeded(): void {
    if (!this.rewind) return;
    this.rewind = false;
    this.batch = [];
    this.batchBytes = 0;
    this.offsets = this.persisted.offsets;
    this.storedBytes = this.persisted.storedBytes;
    this.truncated = this.persisted.truncated;
  }

  take(chunker: OutputChunker, lines: LineSplitter | null, stream: OutputStreamName, data: Uint8Array): void {
    const name = stream === 'stdout' ? 'STDOUT' : 'STDERR';
    for (const chunk of chunker.push(stream, data)) {
      if (lines && stream === 'stdout') {
        const { lines: complete, overflow } = lines.push(chunk.bytes);
        for (const line of complete) this.addLine(line);
        if (overflow !== null)
          for (const piece of splitBytes(overflow, this.deps.settings.maxChunkBytes))
            this.add('STDOUT', piece.data, piece.bytes);
        this.offsets = { ...this.offsets, stdoutOffset: chunk.endOffset - lines.tailBytes };
      } else {
        this.add(name, chunk.data, chunk.bytes);
        this.offsets = {
          ...this.offsets,
          [stream === 'stdout' ? 'stdoutOffset' : 'stderrOffset']: chunk.endOffset,
        };
      }
    }
    this.scheduleFlush();
  }

  takeRest(chunker: OutputChunker, lines: LineSplitter | null): void {
    for (const chunk of chunker.flush()) {
      if (lines && chunk.stream === 'stdout') {
        for (const line of lines.push(chunk.bytes).lines) this.addLine(line);
      } else {
        this.add(chunk.stream === 'stdout' ? 'STDOUT' : 'STDERR', chunk.data, chunk.bytes);
      }
      this.offsets = {
        ...this.offsets,
        [chunk.stream === 'stdout' ? 'stdoutOffset' : 'stderrOffset']: chunk.endOffset,
      };
    }
    if (lines) {
      const rest = lines.flush();
      if (rest.length > 0) this.addLine(rest);
      this.offsets = { ...this.offsets, stdoutOffset: chunker.offsets().stdoutOffset };
    }
  }

  private addLine(line: Uint8Array): void {
    const message = parseClaudeLine(this.decoder.decode(line).replace(/\r?\n$/, ''));
    if (message) this.deps.claude?.observe(message);
    const pieces = splitBytes(line, this.deps.settings.maxChunkBytes);
    // The parsed message goes with the line's last piece, once the whole line is stored.
    pieces.forEach((piece, i) => {
      this.add(
        'STDOUT',
        piece.data,
        piece.bytes,
        i === pieces.length - 1 ? (message ?? undefined) : undefined,
      );
    });
  }

  private add(stream: 'STDOUT' | 'STDERR' | 'SYSTEM', data: string, raw: Uint8Array, claude?: unknown): void {
    if (raw.length === 0) return;
    const bytes = raw.length;
    this.deps.onOutputBytes?.(bytes);
    if (this.truncated) return;
    if (this.storedBytes + bytes > this.deps.settings.outputCapBytes) {
      this.truncated = true;
      this.batch.push({
        stream: 'SYSTEM',
        data: `[rdev] output truncated: more than ${this.deps.settings.outputCapBytes} bytes were stored; the command runs on and its end will still be reported.\n`,
      });
      return;
    }
    this.storedBytes += bytes;
    this.batchBytes += bytes;
    this.batch.push({ stream, data, bytes: raw, ...(claude !== undefined ? { claude } : {}) });
  }

  /**
   * Output after a quiet spell is stored at once (first-output latency is what a watching user
   * feels); output that keeps coming is batched, one write per FLUSH_DELAY_MS at most.
   */
  private scheduleFlush(): void {
    const sinceLast = Date.now() - this.lastFlushAt;
    if (
      this.batch.length >= FLUSH_EVENTS ||
      this.batchBytes >= FLUSH_BYTES ||
      (sinceLast >= FLUSH_DELAY_MS && !this.flushTimer)
    ) {
      void this.flush();
      return;
    }
    this.flushTimer ??= setTimeout(
      () => {
        this.flushTimer = null;
        void this.flush();
      },
      Math.max(0, FLUSH_DELAY_MS - sinceLast),
    );
  }

  /**
   * Stores the pending events and offsets in one transaction, then tells subscribers. Writes run
   * one after another; after a failed one nothing more is written until the follow stream starts
   * again from what is stored, so a database outage loses and repeats nothing.
   */
  flush(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    this.lastFlushAt = Date.now();
    const events = this.batch;
    const progress: StoredProgress = {
      offsets: this.offsets,
      storedBytes: this.storedBytes,
      truncated: this.truncated,
    };
    this.batch = [];
    this.batchBytes = 0;
    this.flushing = this.flushing.then(async () => {
      if (this.rewind || this.deps.leaseLost()) return;
      const before = this.persisted;
      if (events.length === 0 && sameOffsets(progress.offsets, before.offsets)) return;
      let seqs: { lastSeq: number } | null;
      try {
        seqs = await this.deps.store.appendOutput(this.command.id, this.deps.owner, events, {
          ...progress.offsets,
          storedBytesDelta: progress.storedBytes - before.storedBytes,
          truncated: progress.truncated,
        });
      } catch (error) {
        this.rewind = true;
        if (error instanceof OutputRejectedError && ++this.rejections >= REJECTIONS_BEFORE_GIVING_UP) {
          this.deps.log('warn', 'the database refuses command output; giving up on it', {
            commandId: this.command.id,
            err: error,
          });
          this.deps.onRejected(error);
          return;
        }
        if (!(error instanceof OutputRejectedError)) this.rejections = 0;
        this.deps.log('warn', 'could not store command output; reading it again', {
          commandId: this.command.id,
          err: error,
        });
        this.deps.onWriteFailed();
        return;
      }
      this.rejections = 0;
      if (!seqs) {
        this.deps.onLeaseLost();
        return;
      }
      this.persisted = progress;
      if (events.length > 0) {
        await this.deps.bus
          .publish('command_output', { commandId: this.command.id, seq: seqs.lastSeq })
          .catch(() => {});
      }
    });
    return this.flushing;
  }
}
