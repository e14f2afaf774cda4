import type { ServerResponse } from 'node:http';

export interface SseStreamOptions {
  /** A comment line goes out this often when nothing else did, so proxies keep the stream open. */
  keepAliveMs: number;
  /** Reconnection delay suggested to clients (`retry:`). */
  retryMs?: number;
  /** A client that has not taken an event for this long is disconnected. Default: 4 keep-alives. */
  stallTimeoutMs?: number;
}

export interface SseEvent {
  id?: number;
  event: string;
  data: string;
}

/**
 * One `text/event-stream` response. Writes wait for the socket to drain, so a slow client holds at
 * most one write (an event, or a page of them) in this process's memory, never a growing queue; keep-alive comments are skipped
 * while the socket is backed up (the data still to go keeps the connection busy enough). A client
 * that stops reading altogether is disconnected after `stallTimeoutMs`; it resumes with
 * `Last-Event-ID` when it comes back.
 */
export class SseStream {
  private timer: NodeJS.Timeout | null = null;
  private lastWrite = Date.now();

  constructor(
    private readonly res: ServerResponse,
    private readonly options: SseStreamOptions,
  ) {}

  /** Sends the headers and the first line at once, so clients and proxies see the stream start. */
  open(): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-store, no-transform',
      connection: 'keep-alive',
      // nginx (and ingress-nginx) would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    this.res.write(`retry: ${this.options.retryMs ?? 1000}\n\n`);
    this.res.socket?.setNoDelay(true);
    this.timer = setInterval(() => this.keepAlive(), Math.max(10, Math.floor(this.options.keepAliveMs / 2)));
    this.timer.unref();
  }

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  /**
   * Writes events in one write (one system call for a page of replayed output rather than one per
   * event); resolves `false` once the client is gone.
   */
  async send(events: readonly SseEvent[]): Promise<boolean> {
    if (this.closed) return false;
    let text = '';
    for (const event of events) {
      if (event.id !== undefined) text += `id: ${event.id}\n`;
      text += `event: ${event.event}\n`;
      // `data` is JSON here, so it has no line breaks; split anyway to keep the framing valid.
      text += event.data.includes('\n')
        ? `data: ${event.data.split('\n').join('\ndata: ')}\n\n`
        : `data: ${event.data}\n\n`;
    }
    return this.write(text);
  }

  /** Ends the response (the client reconnects with `Last-Event-ID` if it wants more). */
  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.closed) this.res.end();
  }

  private keepAlive(): void {
    if (this.closed || this.res.writableNeedDrain) return;
    if (Date.now() - this.lastWrite < this.options.keepAliveMs / 2) return;
    this.res.write(': keep-alive\n\n');
    this.lastWrite = Date.now();
  }

  private async write(text: string): Promise<boolean> {
    this.lastWrite = Date.now();
    if (this.res.write(text)) return true;
    const stallMs = this.options.stallTimeoutMs ?? 4 * this.options.keepAliveMs;
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => go(false), stallMs);
      const go = (ok: boolean) => {
        clearTimeout(timer);
        this.res.off('drain', onDrain);
        this.res.off('close', onDrain);
        resolve(ok);
      };
      const onDrain = () => go(true);
      this.res.once('drain', onDrain);
      this.res.once('close', onDrain);
    });
    if (!drained) this.res.destroy();
    return drained && !this.closed;
  }
}
