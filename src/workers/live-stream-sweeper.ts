import type { LiveStreams } from '../engine/live-streams.js';
import type { Logger } from '../observability/logger.js';
import type { EventBus } from '../ports/event-bus.js';

export interface LiveStreamSweeperDeps {
  streams: LiveStreams;
  /** Forgets a changed key in this replica's authentication cache. */
  forgetKey(keyId: string): void;
  bus: EventBus;
  logger: Logger;
  /** Every this often, every open stream is checked against its key (through the auth cache). */
  intervalMs: number;
}

/**
 * Keeps open streams in step with their keys on every replica: a key changed, rotated or revoked
 * anywhere is announced on the bus, and this replica forgets it and checks that key's streams at
 * once; a periodic pass catches what needs no announcement (a key reaching its expiry, an entry of
 * the authentication cache growing stale).
 */
export class LiveStreamSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly deps: LiveStreamSweeperDeps) {}

  start(): void {
    this.unsubscribe = this.deps.bus.subscribe('api_key_changed', ({ keyId }) => {
      this.deps.forgetKey(keyId);
      void this.sweep(new Set([keyId]));
    });
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => {
        this.running = null;
      });
    }, this.deps.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Ends the streams (of `keyIds`, or all) their keys no longer allow; returns how many. */
  async sweep(keyIds?: ReadonlySet<string>): Promise<number> {
    try {
      const ended = await this.deps.streams.sweep(keyIds);
      if (ended > 0) this.deps.logger.info({ streams: ended }, 'ended streams their keys no longer allow');
      return ended;
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not check open streams against their keys');
      return 0;
    }
  }
}
