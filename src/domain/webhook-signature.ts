import { createHmac } from 'node:crypto';
import { webhookSecretKey } from './webhook-secret.js';

/** The Standard Webhooks headers of one attempt. */
export interface WebhookSignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs `id.timestamp.body` with HMAC-SHA256 under each secret (Standard Webhooks `v1`). The
 * body must be the exact bytes that will be sent. Several secrets (a rotation's overlap) give
 * space-separated entries, newest first; a receiver accepts the message if any entry matches.
 */
export function signWebhook(message: {
  id: string;
  timestampSeconds: number;
  body: string | Uint8Array;
  secrets: readonly string[];
}): string {
  if (message.secrets.length === 0)
    throw new Error('a webhook message needs at least one secret to sign with');
  if (message.id.includes('.')) throw new Error('a webhook message id must not contain "."');
  const prefix = Buffer.from(`${message.id}.${Math.trunc(message.timestampSeconds)}.`, 'utf8');
  const body = typeof message.body === 'string' ? Buffer.from(message.body, 'utf8') : message.body;
  return message.secrets
    .map((secret) => {
      const mac = createHmac('sha256', webhookSecretKey(secret)).update(prefix).update(body).digest('base64');
      return `v1,${mac}`;
    })
    .join(' ');
}

export function webhookSignatureHeaders(message: {
  id: string;
  timestampSeconds: number;
  body: string | Uint8Array;
  secrets: readonly string[];
}): WebhookSignatureHeaders {
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(Math.trunc(message.timestampSeconds)),
    'webhook-signature': signWebhook(message),
  };
}
