import type { Page, PageRequest } from '../domain/page.js';
import type { WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus } from '../domain/webhook.js';

/** A delivery taken by one worker until `claimedUntil`; only the holder of `claimToken` may record its attempt. */
export interface ClaimedWebhookDelivery {
  delivery: WebhookDelivery;
  claimToken: string;
  /**
   * When the claim ends unless its holder renews it. The holder renews it while it lives, so a
   * claim outlasts its holder's death by one lease at most.
   */
  claimedUntil: Date;
  url: string;
  /** Secrets that sign at claim time, newest first, as stored (sealed by a `SecretBox` or not). */
  secrets: string[];
  /** This attempt was asked for by a person. */
  manual: boolean;
  /** Automatic attempts that failed so far: the position in the retry schedule. */
  failedAutomaticAttempts: number;
  /** A manual attempt on a delivery that was still retrying: on failure the schedule goes on. */
  resumeAfterManual: boolean;
  /** W3C `traceparent` of the work that produced the event; attempts continue its trace. */
  traceContext?: string | null;
  /** The webhook asked for `traceparent` on its requests. */
  sendTraceContext?: boolean;
}

/** Names one claim: the delivery and the token its holder got. */
export interface WebhookClaimRef {
  deliveryId: string;
  claimToken: string;
}

/** What an attempt leaves behind: its record and the delivery's next state. */
export interface WebhookAttemptResult {
  deliveryId: string;
  claimToken: string;
  attempt: Omit<WebhookAttempt, 'id' | 'deliveryId'>;
  status: WebhookDeliveryStatus;
  nextAttemptAt: Date | null;
  failedAutomaticAttempts: number;
}

export interface WebhookDeliveryFilter {
  status?: WebhookDeliveryStatus;
}

/** Deliveries and their attempts: what the worker claims and records, and what people browse. */
export interface WebhookDeliveryStore {
  /**
   * Claims up to `limit` due deliveries of enabled webhooks (`FOR UPDATE SKIP LOCKED`, so
   * concurrent workers on several replicas never take the same one) and holds them until
   * `claimedUntil`. A claim that is neither renewed nor recorded by then (the worker died)
   * becomes due again at once, with its place in the retry schedule unchanged.
   *
   * Claims and attempt records are bookkeeping: their transactions (and, in a unit of work, the
   * whole unit) may commit without waiting for the database to make them durable, so a database
   * crash can lose the last few milliseconds of them. That only means a delivery is claimed or
   * sent again under the same `webhook-id`, which at-least-once delivery allows.
   */
  claimDue(now: Date, limit: number, claimedUntil: Date): Promise<ClaimedWebhookDelivery[]>;
  /**
   * Extends the claims still held (same token) to `claimedUntil`, in one statement. Returns the
   * ids of the deliveries whose claims were extended; the others were lost (recorded, or taken
   * by another worker after they expired).
   */
  renewClaims(claims: readonly WebhookClaimRef[], claimedUntil: Date): Promise<string[]>;
  /**
   * Stores attempts, in one statement, and moves their deliveries on. One answer per attempt:
   * false, leaving the delivery alone, when the claim was lost (it expired and another worker
   * took the delivery).
   */
  recordAttempts(results: readonly WebhookAttemptResult[]): Promise<boolean[]>;
  /**
   * `recordAttempts` for attempts that all succeeded, which also ends the failure run of their
   * webhooks (`WebhookStore.recordSuccess`), in one statement.
   */
  recordSuccesses(results: readonly WebhookAttemptResult[]): Promise<boolean[]>;
  /**
   * Hands back claims whose attempt was never started, or was cut short by rdev itself (the
   * worker is stopping): the deliveries are due again at `now` for any worker, with no attempt
   * recorded and their place in the retry schedule unchanged.
   */
  releaseClaims(claims: readonly WebhookClaimRef[], now: Date): Promise<void>;
  get(id: string): Promise<WebhookDelivery | null>;
  /** Newest first. */
  listForWebhook(
    webhookId: string,
    filter: WebhookDeliveryFilter,
    page: PageRequest,
  ): Promise<Page<WebhookDelivery>>;
  /** Newest first. */
  listAttempts(deliveryId: string, page: PageRequest): Promise<Page<WebhookAttempt>>;
  /**
   * Makes the delivery due at `now` for one manual attempt (same message id). `in_flight` when
   * a worker holds it right now; `null` when there is no such delivery.
   */
  requestRedelivery(id: string, now: Date): Promise<WebhookDelivery | 'in_flight' | null>;
  /** Deliveries still waiting for an attempt (the backlog). */
  countPending(): Promise<number>;
  /**
   * Deletes up to `limit` events created before `before`, oldest first, none of whose deliveries
   * is still PENDING, with their deliveries and attempts. Returns how many events went.
   */
  pruneEnded(before: Date, limit: number): Promise<number>;
}
