import { type Kysely, sql } from 'kysely';
import type { Page, PageRequest } from '../../domain/page.js';
import { isUuid } from '../../domain/uuid.js';
import type { WebhookAttempt, WebhookDelivery } from '../../domain/webhook.js';
import type {
  ClaimedWebhookDelivery,
  WebhookAttemptResult,
  WebhookClaimRef,
  WebhookDeliveryFilter,
  WebhookDeliveryStore,
} from '../../ports/webhook-delivery-store.js';
import { highestIdFirstPage, newestFirstPage } from './keyset-page.js';
import type { Database } from './schema.js';
import { type DeliveryRow, storableText, toAttempt, toDelivery } from './webhook-rows.js';

// `SET LOCAL synchronous_commit = off` as part of a statement, for the claims and attempt
// records: their transaction then commits without waiting for the WAL flush (milliseconds on a
// real disk, against a tenth of one without). Losing the last few milliseconds of them in a
// database crash means a delivery is claimed or sent again under the same webhook-id, which
// at-least-once delivery allows. The outbox rows are written with the producers' changes and
// keep synchronous commit. PGlite accepts the setting (it does not flush anyway). A statement
// that uses it reads from `async_commit`, so that it is evaluated.
const asyncCommit = sql`async_commit AS (SELECT set_config('synchronous_commit', 'off', true))`;

export class PostgresWebhookDeliveryStore implements WebhookDeliveryStore {
  constructor(private readonly db: Kysely<Database>) {}

  private select() {
    return this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
      .selectAll('d')
      .select(['e.message_id', 'e.type', 'e.project_name', 'e.body']);
  }

  async claimDue(now: Date, limit: number, claimedUntil: Date): Promise<ClaimedWebhookDelivery[]> {
    // One statement claims and reads what an attempt needs. Rows another worker is claiming are
    // skipped, not waited for. Moving next_attempt_at to the end of the claim keeps them out of
    // every other claim until then, after the lock is gone.
    const claimed = await sql<
      DeliveryRow & {
        due_at: Date;
        url: string;
        send_trace_context: boolean;
        trace_context: string | null;
        secrets: string[];
      }
    >`
      WITH ${asyncCommit}, due AS (
        SELECT d.id, d.next_attempt_at AS due_at FROM async_commit, webhook_deliveries d
        JOIN webhooks w ON w.id = d.webhook_id
        WHERE d.status = 'PENDING' AND d.next_attempt_at <= ${now}::timestamptz AND w.enabled
        ORDER BY d.next_attempt_at, d.id
        LIMIT ${limit}::int
        FOR UPDATE OF d SKIP LOCKED
      )
      UPDATE webhook_deliveries d
      SET claim_token = gen_random_uuid(), claimed_until = ${claimedUntil}::timestamptz,
          next_attempt_at = ${claimedUntil}::timestamptz
      FROM due, webhook_events e, webhooks w
      WHERE d.id = due.id AND e.id = d.event_id AND w.id = d.webhook_id
      RETURNING d.*, due.due_at, e.message_id, e.type, e.project_name, e.body, e.trace_context, w.url, w.send_trace_context,
        ARRAY(
          SELECT s.secret FROM webhook_secrets s
          WHERE s.webhook_id = d.webhook_id AND (s.expires_at IS NULL OR s.expires_at > ${now}::timestamptz)
          ORDER BY s.id DESC
        ) AS secrets`.execute(this.db);
    // Oldest due first, as they were picked: the worker starts them in this order.
    const rows = claimed.rows.sort(
      (a, b) => a.due_at.getTime() - b.due_at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    return rows.map((row) => ({
      delivery: toDelivery(row),
      claimToken: row.claim_token!,
      claimedUntil: row.claimed_until!,
      url: row.url,
      secrets: row.secrets,
      manual: row.manual_requested,
      failedAutomaticAttempts: row.failed_automatic_attempts,
      resumeAfterManual: row.resume_after_manual,
      traceContext: row.trace_context,
      sendTraceContext: row.send_trace_context,
    }));
  }

  async renewClaims(claims: readonly WebhookClaimRef[], claimedUntil: Date): Promise<string[]> {
    if (claims.length === 0) return [];
    // next_attempt_at follows the claim, as in claimDue: the delivery is due again the moment a
    // claim that nobody renews runs out.
    const renewed = await sql<{ id: string }>`
      WITH ${asyncCommit}
      UPDATE webhook_deliveries d
      SET claimed_until = ${claimedUntil}::timestamptz, next_attempt_at = ${claimedUntil}::timestamptz
      FROM async_commit, (VALUES ${sql.join(claims.map((c) => sql`(${c.deliveryId}::uuid, ${c.claimToken}::uuid)`))})
        AS r(id, claim_token)
      WHERE d.id = r.id AND d.claim_token = r.claim_token
      RETURNING d.id`.execute(this.db);
    return renewed.rows.map((row) => row.id);
  }

  async releaseClaims(claims: readonly WebhookClaimRef[], now: Date): Promise<void> {
    if (claims.length === 0) return;
    // Due again at once for any worker; a claim that was already lost is left alone.
    await sql`
      UPDATE webhook_deliveries d
      SET claim_token = NULL, claimed_until = NULL, next_attempt_at = ${now}::timestamptz
      FROM (VALUES ${sql.join(claims.map((c) => sql`(${c.deliveryId}::uuid, ${c.claimToken}::uuid)`))})
        AS r(id, claim_token)
      WHERE d.id = r.id AND d.claim_token = r.claim_token`.execute(this.db);
  }

  recordAttempts(results: readonly WebhookAttemptResult[]): Promise<boolean[]> {
    return this.record(results, false);
  }

  async recordSuccesses(results: readonly WebhookAttemptResult[]): Promise<boolean[]> {
    if (results.some((r) => !r.attempt.succeeded)) throw new Error('recordSuccesses takes successes only');
    return this.record(results, true);
  }

  private async record(
    results: readonly WebhookAttemptResult[],
    endFailureRuns: boolean,
  ): Promise<boolean[]> {
    if (results.length === 0) return [];
    const values = results.map(
      ({ attempt, ...r }) => sql`(
        ${r.deliveryId}::uuid, ${r.claimToken}::uuid, ${r.status}::text, ${r.nextAttemptAt}::timestamptz,
        ${r.failedAutomaticAttempts}::int, ${attempt.at}::timestamptz, ${attempt.manual}::boolean,
        ${attempt.succeeded}::boolean, ${attempt.statusCode}::int,
        ${Math.max(0, Math.round(attempt.durationMs))}::int, ${storableText(attempt.error)}::text,
        ${storableText(attempt.responseExcerpt)}::text
      )`,
    );
    // Webhooks are locked in id order, as everywhere attempts are recorded, so that two workers
    // ending failure runs at once cannot deadlock.
    const failureRunsEnd = endFailureRuns
      ? sql`, failing AS (
          SELECT w.id FROM webhooks w
          WHERE w.id IN (SELECT webhook_id FROM updated) AND w.failing_since IS NOT NULL
          ORDER BY w.id FOR UPDATE
        ), run_ended AS (
          UPDATE webhooks w SET failing_since = NULL FROM failing WHERE w.id = failing.id
        )`
      : sql``;
    // One statement for the whole batch. The delivery moves on only for the holder of its claim;
    // the attempt happened whatever became of the claim, so it is stored while its delivery
    // exists (the webhook may have been deleted meanwhile, taking its deliveries with it).
    const updated = await sql<{ id: string }>`
      WITH ${asyncCommit}, r AS (
        SELECT v.* FROM async_commit, (VALUES ${sql.join(values)})
          AS v (delivery_id, claim_token, status, next_attempt_at, failed_automatic_attempts, at, manual,
                succeeded, status_code, duration_ms, error, response_excerpt)
      ), updated AS (
        UPDATE webhook_deliveries d
        SET status = r.status, next_attempt_at = r.next_attempt_at,
            failed_automatic_attempts = r.failed_automatic_attempts, attempt_count = d.attempt_count + 1,
            manual_requested = false, resume_after_manual = false, claim_token = NULL, claimed_until = NULL,
            last_attempt_at = r.at, last_status_code = r.status_code, last_error = r.error, updated_at = r.at
        FROM r WHERE d.id = r.delivery_id AND d.claim_token = r.claim_token
        RETURNING d.id, d.webhook_id
      ), attempts AS (
        INSERT INTO webhook_attempts
          (delivery_id, at, manual, succeeded, status_code, duration_ms, error, response_excerpt)
        SELECT r.delivery_id, r.at, r.manual, r.succeeded, r.status_code, r.duration_ms, r.error, r.response_excerpt
        FROM r JOIN webhook_deliveries d ON d.id = r.delivery_id
        ORDER BY r.at
      )${failureRunsEnd}
      SELECT id FROM updated`.execute(this.db);
    const ids = new Set(updated.rows.map((row) => row.id));
    return results.map((r) => ids.has(r.deliveryId));
  }

  async get(id: string): Promise<WebhookDelivery | null> {
    if (!isUuid(id)) return null;
    const row = await this.select().where('d.id', '=', id).executeTakeFirst();
    return row ? toDelivery(row) : null;
  }

  async listForWebhook(
    webhookId: string,
    filter: WebhookDeliveryFilter,
    page: PageRequest,
  ): Promise<Page<WebhookDelivery>> {
    if (!isUuid(webhookId)) return { items: [], cursors: [], hasNextPage: false };
    let query = this.select().where('d.webhook_id', '=', webhookId);
    if (filter.status) query = query.where('d.status', '=', filter.status);
    return newestFirstPage(query, { createdAt: 'd.created_at', id: 'd.id' }, page, toDelivery);
  }

  async listAttempts(deliveryId: string, page: PageRequest): Promise<Page<WebhookAttempt>> {
    if (!isUuid(deliveryId)) return { items: [], cursors: [], hasNextPage: false };
    const query = this.db.selectFrom('webhook_attempts').selectAll().where('delivery_id', '=', deliveryId);
    return highestIdFirstPage(query, 'id', page, toAttempt);
  }

  async requestRedelivery(id: string, now: Date): Promise<WebhookDelivery | 'in_flight' | null> {
    if (!isUuid(id)) return null;
    // In SET, `status` is the value before the update: a delivery that was still retrying goes
    // back to its schedule if the manual attempt fails.
    const updated = await this.db
      .updateTable('webhook_deliveries')
      .set({
        resume_after_manual: sql`status = 'PENDING'`,
        status: 'PENDING',
        next_attempt_at: now,
        manual_requested: true,
        updated_at: now,
      })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
      .executeTakeFirst();
    if (updated.numUpdatedRows > 0n) return this.get(id);
    return (await this.get(id)) ? 'in_flight' : null;
  }

  async countPending(): Promise<number> {
    const row = await this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('d.status', '=', 'PENDING')
      .where('w.enabled', '=', true)
      .executeTakeFirstOrThrow();
    return row.n;
  }

  async pruneEnded(before: Date, limit: number): Promise<number> {
    // Ids grow with creation time, so the primary key gives the oldest first; deliveries and
    // attempts go with their event (ON DELETE CASCADE).
    const result = await sql<{ id: string }>`
      DELETE FROM webhook_events WHERE id IN (
        SELECT e.id FROM webhook_events e
        WHERE e.created_at < ${before}
          AND NOT EXISTS (
            SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'PENDING')
        ORDER BY e.id LIMIT ${limit}
      )
      RETURNING id`.execute(this.db);
    return result.rows.length;
  }
}
