import type { Selectable } from 'kysely';
import type {
  Webhook,
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryStatus,
  WebhookEventType,
} from '../../domain/webhook.js';
import type { WebhookAttemptsTable, WebhookDeliveriesTable, WebhooksTable } from './schema.js';

/** Row-to-domain mapping shared by the webhook stores. */

export type WebhookRow = Selectable<WebhooksTable> & { previous_secret_expires_at: Date | null };

export function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    events: row.events as WebhookEventType[],
    projectNames: row.project_names,
    description: row.description,
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    disabledAt: row.disabled_at,
    failingSince: row.failing_since,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    sendTraceContext: row.send_trace_context,
    createdByKeyId: row.created_by_key_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export type DeliveryRow = Selectable<WebhookDeliveriesTable> & {
  message_id: string;
  type: string;
  project_name: string | null;
  body: string;
};

export function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    messageId: row.message_id,
    eventType: row.type as WebhookEventType,
    projectName: row.project_name,
    body: row.body,
    status: row.status as WebhookDeliveryStatus,
    attemptCount: row.attempt_count,
    nextAttemptAt: row.status === 'PENDING' ? row.next_attempt_at : null,
    lastAttemptAt: row.last_attempt_at,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: row.created_at,
  };
}

export function toAttempt(row: Selectable<WebhookAttemptsTable>): WebhookAttempt {
  return {
    id: String(row.id),
    deliveryId: row.delivery_id,
    at: row.at,
    manual: row.manual,
    succeeded: row.succeeded,
    statusCode: row.status_code,
    durationMs: row.duration_ms,
    error: row.error,
    responseExcerpt: row.response_excerpt,
  };
}

/** PostgreSQL text cannot hold NUL; receivers can send anything. */
export function storableText(text: string | null): string | null {
  return text === null ? null : text.replace(/\u0000/g, '\uFFFD');
}
