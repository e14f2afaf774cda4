import { randomBytes } from 'node:crypto';

/**
 * Webhook signing secrets, Standard Webhooks style: `whsec_` + base64 of 24 to 64 random bytes.
 * rdev needs the key itself to sign, so secrets cannot be stored as digests like API keys; they
 * are shown once (by the mutation that creates or rotates them) and never read back out.
 */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
export const WEBHOOK_SECRET_MIN_BYTES = 24;
export const WEBHOOK_SECRET_MAX_BYTES = 64;
const DEFAULT_SECRET_BYTES = 32;

export function generateWebhookSecret(bytes = DEFAULT_SECRET_BYTES): string {
  if (!Number.isInteger(bytes) || bytes < WEBHOOK_SECRET_MIN_BYTES || bytes > WEBHOOK_SECRET_MAX_BYTES) {
    throw new RangeError(
      `webhook secrets hold ${WEBHOOK_SECRET_MIN_BYTES} to ${WEBHOOK_SECRET_MAX_BYTES} bytes, not ${bytes}`,
    );
  }
  return WEBHOOK_SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

/** The HMAC key of a secret (the bytes after `whsec_`); throws on anything that is not a webhook secret. */
export function webhookSecretKey(secret: string): Buffer {
  const encoded = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw new TypeError('not a webhook secret: expected "whsec_" followed by base64');
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < WEBHOOK_SECRET_MIN_BYTES || key.length > WEBHOOK_SECRET_MAX_BYTES) {
    throw new TypeError(
      `not a webhook secret: the key holds ${key.length} bytes, not ${WEBHOOK_SECRET_MIN_BYTES} to ${WEBHOOK_SECRET_MAX_BYTES}`,
    );
  }
  return key;
}
