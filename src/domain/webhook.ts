import { createHash, randomBytes } from 'node:crypto';

/**
 * Webhook vocabulary.
 *
 * - A *webhook* (endpoint) is a URL that asked for some event types, optionally only for some
 *   projects. It holds one or two signing secrets (two while a rotation's overlap runs).
 * - An *event* is something that happened (`command.succeeded`), written to the outbox in the same
 *   transaction as the change it reports. Its body is serialised once, so every delivery and
 *   every retry sends the same bytes under the same message id (`webhook-id`).
 * - A *delivery* is one event on its way to one webhook: PENDING until an attempt succeeds
 *   (SUCCEEDED) or rdev gives up (FAILED).
 * - An *attempt* is one HTTP request of a delivery, automatic or asked for by a person (manual).
 */

/** Event types on the wire, as receivers see them in the body's `type`. */
export const WEBHOOK_EVENT_TYPES = [
  'command.queued',
  'command.started',
  'command.succeeded',
  'command.failed',
  'command.cancelled',
  'command.timed_out',
  'command.lost',
  'project.discovered',
  'project.changed',
  'project.removed',
  'webhook.ping',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** GraphQL enum name of an event type: `command.timed_out` → `COMMAND_TIMED_OUT`. */
export function webhookEventTypeEnumName(type: WebhookEventType): string {
  return type.replace('.', '_').toUpperCase();
}

export interface Webhook {
  id: string;
  url: string;
  events: WebhookEventType[];
  /** Only events of these projects; `null` means every project. */
  projectNames: string[] | null;
  description: string | null;
  enabled: boolean;
  /** Why rdev disabled it (410 Gone, failing for too long); `null` when enabled or disabled by a person. */
  disabledReason: string | null;
  disabledAt: Date | null;
  /** Start of the current run of failed attempts; `null` after a success. */
  failingSince: Date | null;
  /** While a rotation's overlap runs: when the previous secret stops signing. */
  previousSecretExpiresAt: Date | null;
  /** Requests carry `traceparent`, so the receiver can join rdev's trace; off unless asked for. */
  sendTraceContext: boolean;
  createdByKeyId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewWebhook {
  id: string;
  url: string;
  events: WebhookEventType[];
  projectNames: string[] | null;
  description: string | null;
  sendTraceContext: boolean;
  createdByKeyId: string | null;
}

/** Fields a person may change; absent fields stay as they are. */
export interface WebhookPatch {
  url?: string;
  events?: WebhookEventType[];
  projectNames?: string[] | null;
  description?: string | null;
  enabled?: boolean;
  sendTraceContext?: boolean;
}

/** What a producer hands to the outbox. `data` is the event's own payload (kept small: ids, names, statuses). */
export interface NewWebhookEvent {
  type: WebhookEventType;
  /** The project the event concerns; webhooks filtered to other projects do not receive it. */
  projectName?: string | null;
  data: Record<string, unknown>;
  /**
   * Makes the event idempotent: events with the same key get the same message id, and only the
   * first is written. For facts several replicas observe at once (a project appearing).
   */
  dedupeKey?: string;
}

/** True when `webhook` asked for this event. Disabled webhooks ask for nothing. */
export function webhookWants(
  webhook: Pick<Webhook, 'enabled' | 'events' | 'projectNames'>,
  event: NewWebhookEvent,
) {
  if (!webhook.enabled || !webhook.events.includes(event.type)) return false;
  if (webhook.projectNames === null) return true;
  return event.projectName != null && webhook.projectNames.includes(event.projectName);
}

/**
 * The body every delivery of an event carries, in the Standard Webhooks shape
 * (`type`, `timestamp`, `data`). Serialised once, when the event is written.
 */
export function webhookEventBody(event: NewWebhookEvent, at: Date): string {
  return JSON.stringify({ type: event.type, timestamp: at.toISOString(), data: event.data });
}

/** A new message id (`webhook-id`): `msg_` and 128 random bits, with no "." (the signature's separator). */
export function newWebhookMessageId(dedupeKey?: string): string {
  if (dedupeKey !== undefined) {
    return `msg_${createHash('sha256').update(dedupeKey).digest().subarray(0, 16).toString('base64url')}`;
  }
  return `msg_${randomBytes(16).toString('base64url')}`;
}

/** Bodies past this size are a producer bug: events carry ids and statuses, not output. */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;

export type WebhookDeliveryStatus = 'PENDING' | 'SUCCEEDED' | 'FAILED';

export const WEBHOOK_DELIVERY_STATUSES: readonly WebhookDeliveryStatus[] = ['PENDING', 'SUCCEEDED', 'FAILED'];

export interface WebhookDelivery {
  id: string;
  webhookId: string;
  /** The `webhook-id` header: the same on every attempt, and for every webhook the event went to. */
  messageId: string;
  eventType: WebhookEventType;
  projectName: string | null;
  /** The exact body sent. */
  body: string;
  status: WebhookDeliveryStatus;
  attemptCount: number;
  /** When the next automatic (or requested manual) attempt is due; `null` when finished. */
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
}

export interface WebhookAttempt {
  id: string;
  deliveryId: string;
  at: Date;
  /** Asked for by a person (redelivery), not the retry schedule. */
  manual: boolean;
  succeeded: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** The first few KB of the response body, as text. */
  responseExcerpt: string | null;
}

/** Cap on the stored response excerpt of an attempt. */
export const WEBHOOK_RESPONSE_EXCERPT_BYTES = 4096;
