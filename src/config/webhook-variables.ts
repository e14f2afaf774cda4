import { aes256Key, bool, durations, int } from './parsers.js';
import { variable } from './variable.js';

/** Webhook deliveries. */
export const WEBHOOK_VARIABLES = {
  RDEV_WEBHOOK_ALLOW_PRIVATE: variable({
    field: 'webhookAllowPrivate',
    schema: bool,
    default: 'false',
    doc: 'Allow webhook URLs on loopback and private addresses (development and tests only).',
  }),
  RDEV_WEBHOOK_SECRET_KEY: variable({
    field: 'webhooks.secretKey',
    schema: aes256Key,
    secret: true,
    doc: 'Encrypts webhook signing secrets at rest (AES-256-GCM): 32 random bytes in base64, e.g. `openssl rand -base64 32`. Secrets stored in clear before it was set are sealed when a replica starts. Unset: secrets are stored in clear.',
  }),
  RDEV_WEBHOOK_SECRET_KEY_PREVIOUS: variable({
    field: 'webhooks.previousSecretKey',
    schema: aes256Key,
    secret: true,
    doc: 'The `RDEV_WEBHOOK_SECRET_KEY` being replaced. Secrets sealed with it keep working, and each replica re-seals them with the new key when it starts; remove it once every replica has started with the new key. Needs `RDEV_WEBHOOK_SECRET_KEY`.',
  }),
  RDEV_WEBHOOK_RETRY_SCHEDULE: variable({
    field: 'webhooks.retryScheduleMs',
    schema: durations,
    default: '5s,5m,30m,2h,5h,10h,10h',
    doc: 'Delays between webhook delivery attempts after a failure (the first attempt is immediate), comma-separated with a unit (`ms`, `s`, `m`, `h`, `d`); after the last one the delivery fails. Empty: no retries.',
  }),
  RDEV_WEBHOOK_RETRY_JITTER_PERCENT: variable({
    field: 'webhooks.retryJitter',
    schema: int(0, 100),
    default: '20',
    doc: 'Each retry delay is moved at random by up to this share, so recovering receivers are not hit all at once.',
    as: (percent) => percent / 100,
  }),
  RDEV_WEBHOOK_MAX_RETRY_AFTER_SECONDS: variable({
    field: 'webhooks.maxRetryAfterMs',
    schema: int(0, 604_800),
    default: '3600',
    doc: 'Longest `Retry-After` (on 429 and 503) a webhook receiver can ask rdev to wait.',
    as: (seconds) => seconds * 1000,
  }),
  RDEV_WEBHOOK_ATTEMPT_TIMEOUT_MS: variable({
    field: 'webhooks.attemptTimeoutMs',
    schema: int(100, 300_000),
    default: '15000',
    doc: 'Webhook attempt: longest wait to connect, for the response headers, or for the next piece of the body.',
  }),
  RDEV_WEBHOOK_ATTEMPT_DEADLINE_MS: variable({
    field: 'webhooks.attemptDeadlineMs',
    schema: int(100, 600_000),
    default: '30000',
    doc: 'Webhook attempt: longest time in all, however slowly the receiver answers.',
  }),
  RDEV_WEBHOOK_DISABLE_AFTER_HOURS: variable({
    field: 'webhooks.disableAfterMs',
    schema: int(1, 8760),
    default: '120',
    doc: 'A webhook whose attempts have all failed for this long is disabled (with an audit row).',
    as: (hours) => hours * 3_600_000,
  }),
  RDEV_WEBHOOK_CONCURRENCY: variable({
    field: 'webhooks.concurrency',
    schema: int(1, 256),
    default: '8',
    doc: 'Webhook attempts one replica makes at the same time.',
  }),
  RDEV_WEBHOOK_POLL_INTERVAL_MS: variable({
    field: 'webhooks.pollIntervalMs',
    schema: int(10, 60_000),
    default: '1000',
    doc: 'How often an idle webhook delivery worker looks for due deliveries.',
  }),
  RDEV_WEBHOOK_RETENTION_SECONDS: variable({
    field: 'webhooks.retentionSeconds',
    schema: int(0, 315_360_000),
    default: '2592000',
    doc: 'Webhook events older than this whose deliveries have all ended (succeeded or failed) are deleted with their deliveries and attempts; 0 keeps them for ever. Default 30 days.',
  }),
  RDEV_WEBHOOK_WORKER: variable({
    field: 'webhooks.worker',
    schema: bool,
    default: 'true',
    doc: 'Whether this replica runs the webhook delivery worker.',
  }),
};
