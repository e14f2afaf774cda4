import type { SentWebhookAttempt, WebhookAttemptReport } from '../services/webhook-delivery-service.js';

export interface WebhookAttemptBatcherDeps {
  /** Stores a batch in one transaction; one report per attempt, in order. */
  record(sent: readonly SentWebhookAttempt[]): Promise<WebhookAttemptReport[]>;
  /** A batch is recorded as soon as this many attempts wait… */
  batchSize: number;
  /** …or this long after the first of them arrived. */
  delayMs: number;
}

interface Waiting {
  sent: SentWebhookAttempt;
  resolve: (report: WebhookAttemptReport) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers sent attempts and records them together, one transaction per batch instead of one per
 * attempt. One batch is recorded at a time; the attempts that finish meanwhile make the next.
 */
export class WebhookAttemptBatcher {
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | null = null;
  private recording = false;

  constructor(private readonly deps: WebhookAttemptBatcherDeps) {}

  /** Resolves with the attempt's report once it is stored; rejects when its batch could not be. */
  add(sent: SentWebhookAttempt): Promise<WebhookAttemptReport> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ sent, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    // While a batch is being recorded, the next one fills; its end schedules again.
    if (this.recording || this.waiting.length === 0) return;
    if (this.waiting.length >= this.deps.batchSize) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      void this.recordWaiting();
    } else {
      // Not unref'd: a stopping worker waits for the last batch, and this is what records it.
      this.timer ??= setTimeout(() => {
        this.timer = null;
        void this.recordWaiting();
      }, this.deps.delayMs);
    }
  }

  private async recordWaiting(): Promise<void> {
    this.recording = true;
    // Everything waiting, however many: after a slow commit the backlog goes in one batch.
    const batch = this.waiting;
    this.waiting = [];
    try {
      const reports = await this.deps.record(batch.map((w) => w.sent));
      for (const [i, w] of batch.entries()) w.resolve(reports[i]!);
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      this.recording = false;
      this.schedule();
    }
  }
}
