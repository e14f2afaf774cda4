import { AesGcmSecretBox } from '../adapters/crypto/aes-gcm-secret-box.js';
import { DnsWebhookTargetGuard } from '../adapters/http/dns-webhook-target-guard.js';
import { UndiciWebhookSender } from '../adapters/http/undici-webhook-sender.js';
import { WebhookAddressPolicy } from '../adapters/http/webhook-address-policy.js';
import type { Config } from '../config.js';
import { type Clock, systemClock } from '../domain/clock.js';
import { WEBHOOK_RESPONSE_EXCERPT_BYTES } from '../domain/webhook.js';
import type { Logger } from '../observability/logger.js';
import type { UnitOfWork } from '../ports/unit-of-work.js';
import type { WebhookDeliveryStore } from '../ports/webhook-delivery-store.js';
import type { WebhookStore } from '../ports/webhook-store.js';
import type { HostResolver } from '../ports/webhook-target-guard.js';
import { WebhookDeliveryService } from '../services/webhook-delivery-service.js';
import { WebhookService } from '../services/webhook-service.js';
import { VERSION } from '../version.js';
import { WebhookDeliveryWorker } from '../workers/webhook-delivery-worker.js';
import type { Telemetry } from './build-telemetry.js';

export interface WebhookDeps extends Telemetry {
  unitOfWork: UnitOfWork;
  webhookStore: WebhookStore;
  deliveries: WebhookDeliveryStore;
  /** DNS for webhook URLs, at validation and when connecting. */
  resolve: HostResolver;
}

/** What tests choose instead of the real thing: a clock they move by hand, a fixed jitter. */
export interface WebhookOverrides {
  clock?: Clock;
  random?: () => number;
}

/**
 * Webhooks: the SSRF guard (one address policy for validation and for the connector), the
 * undici sender, the management and delivery services, and this replica's delivery worker.
 * With a secret key configured, signing secrets not yet sealed with it are sealed now.
 */
export async function buildWebhooks(config: Config, deps: WebhookDeps, overrides: WebhookOverrides = {}) {
  const clock = overrides.clock ?? systemClock;
  const policy = new WebhookAddressPolicy(config.webhookAllowPrivate);
  const sender = new UndiciWebhookSender({
    policy,
    resolve: deps.resolve,
    attemptTimeoutMs: config.webhooks.attemptTimeoutMs,
    deadlineMs: config.webhooks.attemptDeadlineMs,
    excerptBytes: WEBHOOK_RESPONSE_EXCERPT_BYTES,
    userAgent: `rdev-webhooks/${VERSION}`,
    tracer: deps.tracing.tracer,
  });
  const secretBox = new AesGcmSecretBox(config.webhooks.secretKey, config.webhooks.previousSecretKey);
  const service = new WebhookService({
    unitOfWork: deps.unitOfWork,
    webhooks: deps.webhookStore,
    deliveries: deps.deliveries,
    targetGuard: new DnsWebhookTargetGuard({
      policy,
      resolve: deps.resolve,
      allowPrivate: config.webhookAllowPrivate,
    }),
    clock,
    secretBox,
  });
  const delivery = new WebhookDeliveryService({
    unitOfWork: deps.unitOfWork,
    deliveries: deps.deliveries,
    sender,
    clock,
    secretBox,
    ...(overrides.random ? { random: overrides.random } : {}),
    retry: {
      scheduleMs: config.webhooks.retryScheduleMs,
      jitter: config.webhooks.retryJitter,
      maxRetryAfterMs: config.webhooks.maxRetryAfterMs,
    },
    disableAfterMs: config.webhooks.disableAfterMs,
    claimLeaseMs: config.commands.leaseMs,
  });
  const worker = config.webhooks.worker
    ? new WebhookDeliveryWorker({
        deliveries: delivery,
        logger: deps.logger.child({ component: 'webhook-delivery' }),
        metrics: deps.metrics,
        concurrency: config.webhooks.concurrency,
        pollIntervalMs: config.webhooks.pollIntervalMs,
        retentionMs: config.webhooks.retentionSeconds * 1000,
        tracer: deps.tracing.tracer,
      })
    : null;
  // Without a key there is nothing to seal with: leave the secrets unread.
  if (config.webhooks.secretKey) await resealWebhookSecrets(service, deps.logger);
  return {
    service,
    delivery,
    start: () => worker?.start(),
    /** Cuts off the attempts in flight now, as the end of the grace period does. */
    abortAttempts: () => sender.abort(),
    /** Claims nothing more, lets the attempts in flight finish until `graceOver`, then cuts them off. */
    async stop(graceOver: Promise<void>) {
      const stopped = worker?.stop();
      await Promise.race([stopped, graceOver]);
      sender.abort();
      await stopped;
      await sender.close();
    },
  };
}

/**
 * After `RDEV_WEBHOOK_SECRET_KEY` was set or changed: seals the stored signing secrets with it.
 * A failure only delays that to the next start; the secrets keep working meanwhile.
 */
async function resealWebhookSecrets(service: WebhookService, logger: Logger): Promise<void> {
  try {
    const { resealed, unreadable } = await service.resealSecrets();
    if (resealed > 0) logger.info({ resealed }, 'webhook signing secrets sealed with the current key');
    if (unreadable > 0) {
      logger.warn(
        { unreadable },
        'webhook signing secrets sealed with a key that is no longer configured: their deliveries fail until the webhook secret is rotated or the key is set as RDEV_WEBHOOK_SECRET_KEY_PREVIOUS',
      );
    }
  } catch (error) {
    logger.warn({ err: error }, 'could not re-seal webhook signing secrets; trying again at the next start');
  }
}
