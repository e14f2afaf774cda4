import { type Kysely, sql } from 'kysely';
import {
  MAX_WEBHOOK_BODY_BYTES,
  type NewWebhookEvent,
  newWebhookMessageId,
  type WebhookDelivery,
  webhookEventBody,
} from '../../domain/webhook.js';
import { traceparentOf } from '../../observability/trace-context.js';
import type { WebhookOutbox } from '../../ports/webhook-outbox.js';
import type { Database } from './schema.js';
import { type DeliveryRow, toDelivery } from './webhook-rows.js';

export class PostgresWebhookOutbox implements WebhookOutbox {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async enqueue(event: NewWebhookEvent): Promise<{ messageId: string | null; deliveries: number }> {
    const at = this.now();
    const messageId = newWebhookMessageId(event.dedupeKey);
    const project = event.projectName ?? null;
    // One statement: find the webhooks that want the event, write the event only if one does,
    // and a delivery for each.
    const result = await sql<{ id: string }>`
      WITH targets AS (
        SELECT id FROM webhooks
        WHERE enabled
          AND ${event.type}::text = ANY (events)
          AND (project_names IS NULL OR ${project}::text = ANY (project_names))
      ), event AS (
        INSERT INTO webhook_events (message_id, type, project_name, body, created_at, trace_context)
        SELECT ${messageId}::text, ${event.type}::text, ${project}::text, ${body(event, at)}::text, ${at}::timestamptz,
               ${traceparentOf()}::text
        WHERE EXISTS (SELECT 1 FROM targets)
        ON CONFLICT (message_id) DO NOTHING
        RETURNING id
      )
      INSERT INTO webhook_deliveries (webhook_id, event_id, status, next_attempt_at, created_at, updated_at)
      SELECT targets.id, event.id, 'PENDING', ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
      FROM targets CROSS JOIN event
      RETURNING id`.execute(this.db);
    const deliveries = result.rows.length;
    return { messageId: deliveries > 0 ? messageId : null, deliveries };
  }

  async enqueueFor(webhookId: string, event: NewWebhookEvent): Promise<WebhookDelivery> {
    const at = this.now();
    const inserted = await this.db
      .insertInto('webhook_events')
      .values({
        message_id: newWebhookMessageId(),
        type: event.type,
        project_name: event.projectName ?? null,
        body: body(event, at),
        created_at: at,
        trace_context: traceparentOf(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const delivery = await this.db
      .insertInto('webhook_deliveries')
      .values({
        webhook_id: webhookId,
        event_id: inserted.id,
        status: 'PENDING',
        next_attempt_at: at,
        claim_token: null,
        claimed_until: null,
        last_attempt_at: null,
        last_status_code: null,
        last_error: null,
        created_at: at,
        updated_at: at,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const row: DeliveryRow = {
      ...delivery,
      message_id: inserted.message_id,
      type: inserted.type,
      project_name: inserted.project_name,
      body: inserted.body,
    };
    return toDelivery(row);
  }
}

function body(event: NewWebhookEvent, at: Date): string {
  const text = webhookEventBody(event, at);
  if (Buffer.byteLength(text) > MAX_WEBHOOK_BODY_BYTES) {
    // A producer bug, not user input: events carry ids and statuses, never command output.
    throw new Error(`webhook event ${event.type} is larger than ${MAX_WEBHOOK_BODY_BYTES} bytes`);
  }
  return text;
}
