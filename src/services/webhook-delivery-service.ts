import { auditActor } from '../domain/audit.js';
import type { Clock } from '../domain/clock.js';
import { systemPrincipal } from '../domain/principal.js';
import type { WebhookDeliveryStatus } from '../domain/webhook.js';
import {
  failingTooLong,
  honoursRetryAfter,
  nextRetryDelayMs,
  parseRetryAfter,
  type WebhookRetryPolicy,
  webhookResponseVerdict,
} from '../domain/webhook-retry.js';
import { webhookSignatureHeaders } from '../domain/webhook-signature.js';
import { type SecretBox, SecretBoxError } from '../ports/secret-box.js';
import type { UnitOfWork } from '../ports/unit-of-work.js';
import type {
  ClaimedWebhookDelivery,
  WebhookAttemptResult,
  WebhookDeliveryStore,
} from '../ports/webhook-delivery-store.js';
import type { WebhookSender, WebhookSendResult } from '../ports/webhook-sender.js';

/** An attempt made but not yet stored: what `record` writes, and what it reports. */
export interface SentWebhookAttempt {
  result: WebhookAttemptResult;
  report: WebhookAttemptReport;
  /** The receiver answered 410 Gone: the webhook is to be disabled. */
  gone: boolean;
  /**
   * rdev cut the attempt short itself (it is shutting down): the attempt is recorded, uses no
   * retry and leaves the webhook's failure run alone; the delivery is due again at once.
   */
  abandoned: boolean;
}

/** What became of one attempt, for metrics and logs. */
export interface WebhookAttemptReport {
  deliveryId: string;
  webhookId: string;
  manual: boolean;
  /**
   * The delivery after the attempt; `lost` when its claim had expired and another worker owns
   * it; `abandoned` when rdev cut the attempt short and the delivery is due again at once.
   */
  outcome: 'succeeded' | 'retrying' | 'failed' | 'lost' | 'abandoned';
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** Set when the attempt made rdev disable the webhook. */
  disabledReason: string | null;
}

export interface WebhookDeliveryServiceDeps {
  unitOfWork: UnitOfWork;
  /** Claims, reads and hand-backs, and attempts that all succeeded, outside any unit of work. */
  deliveries: WebhookDeliveryStore;
  sender: WebhookSender;
  clock: Clock;
  /** Source of jitter; tests pass a fixed one. */
  random?: () => number;
  retry: WebhookRetryPolicy;
  /** An endpoint whose attempts all failed for this long is disabled. */
  disableAfterMs: number;
  /**
   * How long a claim lasts unless renewed. The worker renews its claims while it lives, so when
   * it dies its deliveries are due again within this long, without a retry used up.
   */
  claimLeaseMs: number;
  /** Opens the stored signing secrets. */
  secretBox: SecretBox;
}

const ACTOR = systemPrincipal('webhook-delivery');

/**
 * Sends due webhook deliveries: signs each with the webhook's current secrets over the exact
 * stored body, sends it, records the attempt, and schedules the next one or ends the delivery.
 * Disables an endpoint that answers 410 or has failed for too long, with an audit row.
 */
export class WebhookDeliveryService {
  private readonly random: () => number;

  constructor(private readonly deps: WebhookDeliveryServiceDeps) {
    this.random = deps.random ?? Math.random;
  }

  /** Claims up to `limit` due deliveries, makes one attempt each (concurrently), and reports. */
  async deliverDue(limit: number): Promise<WebhookAttemptReport[]> {
    const claims = await this.claim(limit);
    return this.record(await Promise.all(claims.map((claim) => this.send(claim))));
  }

  /** How long a claim lasts unless renewed: the worker renews its claims every third of it. */
  get claimLeaseMs(): number {
    return this.deps.claimLeaseMs;
  }

  /**
   * Claims up to `limit` due deliveries for this worker for one lease. The worker renews them
   * (`renew`) until each is recorded or handed back (`release`); one that waited so long that
   * its claim ran out is not sent (`canStillSend`).
   */
  claim(limit: number): Promise<ClaimedWebhookDelivery[]> {
    const now = this.deps.clock();
    return this.deps.deliveries.claimDue(now, limit, this.leaseEnd(now));
  }

  /**
   * Extends the claims for another lease. Returns those that were lost meanwhile (their lease
   * ran out and another worker took them); the others carry their new `claimedUntil`.
   */
  async renew(claims: readonly ClaimedWebhookDelivery[]): Promise<ClaimedWebhookDelivery[]> {
    if (claims.length === 0) return [];
    const until = this.leaseEnd(this.deps.clock());
    const refs = claims.map((c) => ({ deliveryId: c.delivery.id, claimToken: c.claimToken }));
    const kept = new Set(await this.deps.deliveries.renewClaims(refs, until));
    const lost: ClaimedWebhookDelivery[] = [];
    for (const claim of claims) {
      if (kept.has(claim.delivery.id)) claim.claimedUntil = until;
      else lost.push(claim);
    }
    return lost;
  }

  /**
   * The claim is still this worker's with a third of a lease to spare: renewals are keeping up,
   * so no other worker can have taken it.
   */
  canStillSend(claim: ClaimedWebhookDelivery): boolean {
    const left = claim.claimedUntil.getTime() - this.deps.clock().getTime();
    return left > this.deps.claimLeaseMs / 3;
  }

  private leaseEnd(now: Date): Date {
    return new Date(now.getTime() + this.deps.claimLeaseMs);
  }

  /** Hands back claims that were never sent, so any worker can take them at once. */
  release(claims: readonly ClaimedWebhookDelivery[]): Promise<void> {
    const refs = claims.map((c) => ({ deliveryId: c.delivery.id, claimToken: c.claimToken }));
    return this.deps.deliveries.releaseClaims(refs, this.deps.clock());
  }

  /** Deliveries waiting for an attempt. */
  backlog(): Promise<number> {
    return this.deps.deliveries.countPending();
  }

  /**
   * Retention: deletes events older than `retentionMs` whose deliveries have all ended
   * (succeeded or failed for good), with those deliveries and their attempts, in batches of
   * `batch`. Events with a delivery still pending stay. Returns how many events were deleted.
   */
  async pruneExpired(retentionMs: number, batch = 500): Promise<number> {
    const before = new Date(this.deps.clock().getTime() - retentionMs);
    let total = 0;
    for (;;) {
      const n = await this.deps.deliveries.pruneEnded(before, batch);
      total += n;
      if (n < batch) return total;
    }
  }

  /** The signing secrets in clear, or why there are none to sign with (nothing is sent then). */
  private openSecrets(stored: readonly string[]): string[] | string {
    if (stored.length === 0) return 'the webhook has no signing secret';
    try {
      return stored.map((s) => this.deps.secretBox.open(s));
    } catch (error) {
      if (error instanceof SecretBoxError) return `cannot use the signing secret: ${error.message}`;
      throw error;
    }
  }

  /**
   * Sends a claimed delivery once and works out what becomes of it; nothing is stored until it
   * is given to `record`. Never throws for the receiver's behaviour.
   */
  async send(claim: ClaimedWebhookDelivery): Promise<SentWebhookAttempt> {
    const { delivery } = claim;
    const at = this.deps.clock();
    const secrets = this.openSecrets(claim.secrets);
    const result: WebhookSendResult =
      typeof secrets === 'string'
        ? { kind: 'error', error: secrets, durationMs: 0 }
        : await this.deps.sender.send({
            url: claim.url,
            headers: {
              ...webhookSignatureHeaders({
                id: delivery.messageId,
                timestampSeconds: Math.floor(at.getTime() / 1000),
                body: delivery.body,
                secrets,
              }),
            },
            body: delivery.body,
            sendTraceContext: claim.sendTraceContext === true,
          });
    const statusCode = result.kind === 'response' ? result.statusCode : null;
    const verdict = statusCode === null ? 'failed' : webhookResponseVerdict(statusCode);
    const succeeded = verdict === 'succeeded';
    const error =
      result.kind === 'response'
        ? describeStatus(result.statusCode)
        : result.kind === 'error'
          ? result.error
          : result.reason;
    const abandoned = result.kind === 'abandoned';

    let status: WebhookDeliveryStatus = succeeded ? 'SUCCEEDED' : 'FAILED';
    let nextAttemptAt: Date | null = null;
    let failedAutomaticAttempts = claim.failedAutomaticAttempts;
    if (abandoned) {
      // Not the receiver's doing: the attempt is on record, but the schedule does not move on
      // and the delivery is due again at once, for any replica.
      status = 'PENDING';
      nextAttemptAt = at;
    } else if (verdict === 'failed' && (!claim.manual || claim.resumeAfterManual)) {
      // A manual attempt does not use up the schedule; an automatic one moves it on.
      if (!claim.manual) failedAutomaticAttempts += 1;
      const retryAfterMs =
        result.kind === 'response' && honoursRetryAfter(result.statusCode)
          ? parseRetryAfter(result.retryAfter, at)
          : null;
      const delay = nextRetryDelayMs(
        this.deps.retry,
        Math.max(1, failedAutomaticAttempts),
        this.random,
        retryAfterMs,
      );
      if (delay !== null) {
        status = 'PENDING';
        nextAttemptAt = new Date(at.getTime() + delay);
      }
    }

    return {
      gone: verdict === 'gone',
      abandoned,
      result: {
        deliveryId: delivery.id,
        claimToken: claim.claimToken,
        attempt: {
          at,
          manual: claim.manual,
          succeeded,
          statusCode,
          durationMs: result.durationMs,
          error,
          responseExcerpt: result.kind === 'response' ? result.excerpt : null,
        },
        status,
        nextAttemptAt,
        failedAutomaticAttempts,
      },
      report: {
        deliveryId: delivery.id,
        webhookId: delivery.webhookId,
        manual: claim.manual,
        outcome: abandoned
          ? 'abandoned'
          : status === 'SUCCEEDED'
            ? 'succeeded'
            : status === 'PENDING'
              ? 'retrying'
              : 'failed',
        statusCode,
        durationMs: result.durationMs,
        error,
        disabledReason: null,
      },
    };
  }

  /**
   * Stores sent attempts, in the order given, in one transaction: the attempts and the
   * deliveries' next states, each webhook's failure run, and the disabling of an endpoint that
   * answered 410 or has failed for too long, with its audit row. An attempt rdev itself cut short
   * is stored but leaves the webhook's failure run alone. One report per attempt.
   */
  async record(sent: readonly SentWebhookAttempt[]): Promise<WebhookAttemptReport[]> {
    if (sent.length === 0) return [];
    const results = sent.map((s) => s.result);
    const reportsOf = (recorded: boolean[]) =>
      sent.map((s, i): WebhookAttemptReport => (recorded[i] ? s.report : { ...s.report, outcome: 'lost' }));
    // The usual case, every attempt a success, is one statement.
    if (results.every((r) => r.attempt.succeeded)) {
      return reportsOf(await this.deps.deliveries.recordSuccesses(results));
    }
    return this.deps.unitOfWork.run(async ({ webhookDeliveries, webhookStore, audit }) => {
      const recorded = await webhookDeliveries.recordAttempts(results);
      const reports = reportsOf(recorded);
      // Webhook by webhook in id order, so that two replicas recording at once lock webhook rows
      // in the same order and never deadlock; each webhook's attempts in the order given.
      const order = sent.map((_, i) => i).filter((i) => recorded[i] && !sent[i]!.abandoned);
      order.sort((a, b) => compare(sent[a]!.report.webhookId, sent[b]!.report.webhookId) || a - b);
      // The webhook whose failure run is known to be over (a success was just recorded).
      let cleared: string | null = null;
      for (const i of order) {
        const { gone, result, report } = sent[i]!;
        const { webhookId } = report;
        const { at, succeeded, statusCode, error } = result.attempt;
        if (succeeded) {
          if (cleared !== webhookId) await webhookStore.recordSuccess(webhookId);
          cleared = webhookId;
          continue;
        }
        cleared = null;
        const webhook = await webhookStore.recordFailure(webhookId, at);
        const reason = !webhook?.enabled
          ? null
          : gone
            ? 'the endpoint answered 410 Gone'
            : failingTooLong(webhook.failingSince, at, this.deps.disableAfterMs)
              ? `every attempt failed for ${formatHours(this.deps.disableAfterMs)} (since ${webhook.failingSince!.toISOString()})`
              : null;
        if (reason === null) continue;
        await webhookStore.disable(webhookId, reason, at);
        await audit.record({
          ...auditActor(ACTOR),
          action: 'webhook.disable',
          targetType: 'Webhook',
          targetId: webhookId,
          outcome: 'SUCCESS',
          details: { reason, deliveryId: report.deliveryId, statusCode, error },
        });
        reports[i] = { ...report, disabledReason: reason };
      }
      return reports;
    });
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function describeStatus(statusCode: number): string | null {
  const verdict = webhookResponseVerdict(statusCode);
  if (verdict === 'succeeded') return null;
  if (verdict === 'gone') return 'HTTP 410 Gone: the receiver asked to stop, so the webhook was disabled';
  if (statusCode >= 300 && statusCode <= 399) {
    return `HTTP ${statusCode}: redirects are not followed; point the webhook at the final URL`;
  }
  return `HTTP ${statusCode}`;
}

function formatHours(ms: number): string {
  const hours = ms / 3_600_000;
  return Number.isInteger(hours) ? `${hours} h` : `${Math.round(ms / 1000)} s`;
}
