import type { NewWebhookEvent, WebhookDelivery } from '../domain/webhook.js';

/**
 * The webhook outbox. Producers call it inside the unit of work that makes the change the event
 * reports, so the event commits with the change or not at all; the delivery worker sends it later.
 */
export interface WebhookOutbox {
  /**
   * Writes the event and one PENDING delivery per enabled webhook that wants it (its event
   * types, and its project filter when the event names a project). Nothing is written when no
   * webhook wants it. The body is serialised here, once: every attempt sends the same bytes
   * under the same `webhook-id`.
   */
  enqueue(event: NewWebhookEvent): Promise<{ messageId: string | null; deliveries: number }>;
  /** Writes the event for one webhook only, whatever it subscribed to (a ping). */
  enqueueFor(webhookId: string, event: NewWebhookEvent): Promise<WebhookDelivery>;
}
