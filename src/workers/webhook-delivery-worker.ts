import { context, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { Logger } from '../observability/logger.js';
import type { AppMetrics } from '../observability/metrics.js';
import { contextOfTraceparent } from '../observability/trace-context.js';
import type { ClaimedWebhookDelivery } from '../ports/webhook-delivery-store.js';
import type { WebhookAttemptReport, WebhookDeliveryService } from '../services/webhook-delivery-service.js';
import { retentionSweepIntervalMs } from './retention-sweep-interval.js';
import { WebhookAttemptBatcher } from './webhook-attempt-batcher.js';

export interface WebhookDeliveryWorkerDeps {
  deliveries: WebhookDeliveryService;
  logger: Logger;
  metrics: AppMetrics;
  /** Attempts in flight at once on this replica. */
  concurrency: number;
  /** Sleep between looks for due deliveries while idle. */
  pollIntervalMs: number;
  /** A `webhook attempt` span per attempt, in the trace of the work that produced the event. */
  tracer?: Tracer;
  /** Ended deliveries older than this are deleted with their events and attempts; 0 keeps them. */
  retentionMs?: number;
}

// Attempts finished within this long of each other are recorded in one transaction.
const RECORD_DELAY_MS = 5;

/**
 * The webhook delivery loop of one replica. It keeps up to `concurrency` attempts in flight and
 * up to twice as many claimed deliveries waiting for a slot, claiming a batch whenever a whole
 * one fits (so the next claim runs while the attempts go on), and sleeps `pollIntervalMs` when
 * nothing is due. Every claim it holds, waiting or being sent, is renewed every third of a lease,
 * so a replica that dies holds its deliveries for one lease at most; a claim whose renewals fell
 * behind (the database was unreachable) is not sent. Finished attempts are recorded in batches
 * (`WebhookAttemptBatcher`). Replicas share the work through the store's `SKIP LOCKED` claims.
 * `stop()` claims nothing more, hands back the claims not started, and waits for the attempts in
 * flight, each bounded by the attempt deadline, to be recorded or handed back.
 */
export class WebhookDeliveryWorker {
  private stopping = false;
  private loop: Promise<void> | null = null;
  /** Claimed, waiting for a slot. */
  private readonly queue: ClaimedWebhookDelivery[] = [];
  /** Attempts being sent. */
  private sending = 0;
  /** Attempts from the start of their send to the end of their recording. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Every claim held, waiting or in flight, by delivery id: what the renewals extend. */
  private readonly held = new Map<string, ClaimedWebhookDelivery>();
  private renewTimer: NodeJS.Timeout | null = null;
  private renewing = false;
  /** The last claim got all it asked for: more may be due right now. */
  private moreDue = false;
  private readonly batcher: WebhookAttemptBatcher;
  private wakeUp: (() => void) | null = null;
  /** A wake-up that came while the loop was not sleeping: the next pause returns at once. */
  private woken = false;
  private lastBacklogAt = 0;
  private pruneTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: WebhookDeliveryWorkerDeps) {
    this.batcher = new WebhookAttemptBatcher({
      record: (sent) => deps.deliveries.record(sent),
      batchSize: deps.concurrency,
      delayMs: RECORD_DELAY_MS,
    });
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
    const every = Math.max(100, this.deps.deliveries.claimLeaseMs / 3);
    this.renewTimer = setInterval(() => void this.renew(), every);
    const retentionMs = this.deps.retentionMs ?? 0;
    if (retentionMs > 0) {
      this.pruneTimer = setInterval(() => {
        this.deps.deliveries
          .pruneExpired(retentionMs)
          .catch((error) => this.deps.logger.warn({ err: error }, 'could not delete old webhook deliveries'));
      }, retentionSweepIntervalMs(retentionMs));
      this.pruneTimer.unref();
    }
  }

  /** Looks for due deliveries now instead of at the end of the current sleep. */
  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.woken = true;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = null;
    this.wake();
    await this.loop;
    this.loop = null;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const room = this.room();
      let claimed = 0;
      if (room >= this.deps.concurrency) {
        try {
          const claims = await this.deps.deliveries.claim(room);
          claimed = claims.length;
          for (const claim of claims) this.held.set(claim.delivery.id, claim);
          this.queue.push(...claims);
          this.startQueued();
        } catch (error) {
          this.deps.logger.warn(
            { err: error },
            'could not claim webhook deliveries; retrying after the poll interval',
          );
        }
        this.moreDue = claimed === room;
      }
      await this.updateBacklog();
      if (this.stopping) break;
      // Waiting for room (an attempt that ends wakes the loop) while more is due; otherwise for a
      // wake-up or the poll interval.
      await this.pause(this.moreDue ? null : this.deps.pollIntervalMs);
    }
    await this.release(this.queue.splice(0));
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    await this.updateBacklog(true);
  }

  /** Extends every claim held; claims lost meanwhile are dropped from the queue unsent. */
  private async renew(): Promise<void> {
    if (this.renewing || this.held.size === 0) return;
    this.renewing = true;
    try {
      const lost = await this.deps.deliveries.renew([...this.held.values()]);
      if (lost.length > 0) {
        const gone = new Set(lost);
        for (const claim of lost) this.held.delete(claim.delivery.id);
        this.queue.splice(0, this.queue.length, ...this.queue.filter((c) => !gone.has(c)));
        this.deps.logger.warn(
          { deliveries: lost.length },
          'webhook claims lost to another worker; it sends them now',
        );
      }
    } catch (error) {
      // The claims run out if this goes on; `canStillSend` then keeps them from being sent.
      this.deps.logger.warn({ err: error }, 'could not renew webhook claims');
    } finally {
      this.renewing = false;
    }
  }

  /**
   * How many more deliveries to claim: slots free plus room in the queue, which holds at most
   * twice `concurrency` claims. None while more than that many attempts wait to be recorded: a
   * slow database slows sending down instead of piling up results.
   */
  private room(): number {
    const { concurrency } = this.deps;
    if (this.inFlight.size - this.sending > 2 * concurrency) return 0;
    return 3 * concurrency - this.sending - this.queue.length;
  }

  private startQueued(): void {
    const expired: ClaimedWebhookDelivery[] = [];
    while (!this.stopping && this.sending < this.deps.concurrency && this.queue.length > 0) {
      const claim = this.queue.shift()!;
      // Slow receivers held every slot for long: someone else may have this one sooner.
      if (this.deps.deliveries.canStillSend(claim)) this.track(claim);
      else {
        this.held.delete(claim.delivery.id);
        expired.push(claim);
      }
    }
    if (expired.length > 0) void this.release(expired);
  }

  private async release(claims: ClaimedWebhookDelivery[]): Promise<void> {
    if (claims.length === 0) return;
    for (const claim of claims) this.held.delete(claim.delivery.id);
    try {
      await this.deps.deliveries.release(claims);
    } catch (error) {
      this.deps.logger.warn(
        { err: error, deliveries: claims.length },
        'could not hand back unsent webhook deliveries; they are retried when their claims expire',
      );
    }
  }

  private track(claim: ClaimedWebhookDelivery): void {
    this.sending++;
    const span = this.startSpan(claim);
    const send = () => this.deps.deliveries.send(claim);
    const sent = (span ? context.with(trace.setSpan(context.active(), span), send) : send()).finally(() => {
      this.sending--;
      this.startQueued();
      this.wakeIfRoom();
    });
    const attempt = sent
      .then((s) => this.batcher.add(s))
      .then(
        (report) => {
          if (span) recordReport(span, report);
          this.observe(report);
        },
        (error: unknown) =>
          // The database failed while recording: the claim expires and the delivery is retried.
          this.deps.logger.error(
            { err: error, deliveryId: claim.delivery.id, webhookId: claim.delivery.webhookId },
            'could not record a webhook attempt',
          ),
      )
      .finally(() => {
        span?.end();
        this.held.delete(claim.delivery.id);
        this.inFlight.delete(attempt);
        this.wakeIfRoom();
      });
    this.inFlight.add(attempt);
  }

  private wakeIfRoom(): void {
    if (this.moreDue && this.room() >= this.deps.concurrency) this.wake();
  }

  private startSpan(claim: ClaimedWebhookDelivery): Span | undefined {
    const { delivery } = claim;
    return this.deps.tracer?.startSpan(
      'webhook attempt',
      {
        attributes: {
          'rdev.webhook.id': delivery.webhookId,
          'rdev.webhook.delivery_id': delivery.id,
          'rdev.webhook.message_id': delivery.messageId,
          'rdev.webhook.event_type': delivery.eventType,
          'rdev.webhook.attempt': delivery.attemptCount + 1,
          'rdev.webhook.manual': claim.manual,
        },
      },
      contextOfTraceparent(claim.traceContext),
    );
  }

  private observe(report: WebhookAttemptReport): void {
    const { metrics, logger } = this.deps;
    metrics.webhookDeliveries.inc({ outcome: report.outcome });
    metrics.webhookAttemptDuration.observe({ outcome: report.outcome }, report.durationMs / 1000);
    const fields = {
      deliveryId: report.deliveryId,
      webhookId: report.webhookId,
      outcome: report.outcome,
      statusCode: report.statusCode,
      durationMs: Math.round(report.durationMs),
      manual: report.manual,
    };
    if (report.outcome === 'succeeded') logger.debug(fields, 'webhook delivered');
    else logger.info({ ...fields, error: report.error }, 'webhook attempt failed');
    if (report.disabledReason) {
      metrics.webhooksDisabled.inc();
      logger.warn({ webhookId: report.webhookId, reason: report.disabledReason }, 'webhook disabled');
    }
  }

  private async updateBacklog(force = false): Promise<void> {
    const now = Date.now();
    if (!force && now - this.lastBacklogAt < this.deps.pollIntervalMs) return;
    this.lastBacklogAt = now;
    try {
      this.deps.metrics.webhookBacklog.set(await this.deps.deliveries.backlog());
    } catch {
      // The gauge keeps its last value; claim errors are logged above.
    }
  }

  private pause(ms: number | null): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = ms === null ? null : setTimeout(done, ms);
      timer?.unref();
      const self = this;
      function done() {
        if (timer) clearTimeout(timer);
        if (self.wakeUp === done) self.wakeUp = null;
        resolve();
      }
      this.wakeUp = done;
    });
  }
}

function recordReport(span: Span, report: WebhookAttemptReport): void {
  span.setAttribute('rdev.webhook.outcome', report.outcome);
  if (report.statusCode !== null) span.setAttribute('http.response.status_code', report.statusCode);
  if (report.outcome !== 'succeeded') {
    span.setStatus({ code: SpanStatusCode.ERROR, message: report.error ?? report.outcome });
  }
}
