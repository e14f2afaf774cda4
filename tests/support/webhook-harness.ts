import { randomUUID } from 'node:crypto';
import { AesGcmSecretBox } from '../../src/adapters/crypto/aes-gcm-secret-box.js';
import { DnsWebhookTargetGuard } from '../../src/adapters/http/dns-webhook-target-guard.js';
import { systemHostResolver } from '../../src/adapters/http/host-resolver.js';
import { UndiciWebhookSender } from '../../src/adapters/http/undici-webhook-sender.js';
import { WebhookAddressPolicy } from '../../src/adapters/http/webhook-address-policy.js';
import type { DatabaseHandle } from '../../src/adapters/postgres/database.js';
import { createPostgresStores } from '../../src/adapters/postgres/postgres-stores.js';
import { PostgresUnitOfWork } from '../../src/adapters/postgres/postgres-unit-of-work.js';
import { PostgresWebhookOutbox } from '../../src/adapters/postgres/postgres-webhook-outbox.js';
import type { KeyPrincipal } from '../../src/domain/principal.js';
import { WEBHOOK_RESPONSE_EXCERPT_BYTES } from '../../src/domain/webhook.js';
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS } from '../../src/domain/webhook-retry.js';
import type { HostResolver } from '../../src/ports/webhook-target-guard.js';
import { WebhookDeliveryService } from '../../src/services/webhook-delivery-service.js';
import { WebhookService } from '../../src/services/webhook-service.js';

export interface WebhookHarnessOptions {
  allowPrivate?: boolean;
  resolve?: HostResolver;
  attemptTimeoutMs?: number;
  deadlineMs?: number;
  scheduleMs?: readonly number[];
  disableAfterMs?: number;
  /** How long a delivery claim lasts unless renewed (default 15 s). */
  claimLeaseMs?: number;
  /** Jitter source; the default 0.75 stretches every delay by exactly 10 % (jitter 0.2). */
  random?: () => number;
  /** Start of the fake clock (default: now). */
  startAt?: number;
  /** Seals signing secrets at rest with this key (default: stored in clear). */
  secretKey?: Buffer | null;
  /** The key being replaced, which still opens what it sealed. */
  previousSecretKey?: Buffer | null;
}

/** An admin key as a principal, without going through authentication. */
export function adminPrincipal(over: Partial<KeyPrincipal> = {}): KeyPrincipal {
  return {
    kind: 'key',
    keyId: randomUUID(),
    keyName: 'test admin',
    credentialId: 'test',
    scopes: new Set(['admin']),
    projectNames: null,
    allowedIps: [],
    expiresAt: null,
    clientIp: '127.0.0.1',
    requestId: 'test-request',
    ...over,
  };
}

/**
 * The webhook services over a real database and the real undici sender, with a clock the test
 * moves by hand: what `createApp` wires, minus the servers and the polling worker.
 */
export function webhookHarness(database: DatabaseHandle, options: WebhookHarnessOptions = {}) {
  let now = options.startAt ?? Date.now();
  const clock = () => new Date(now);
  const allowPrivate = options.allowPrivate ?? true;
  const resolve = options.resolve ?? systemHostResolver;
  const policy = new WebhookAddressPolicy(allowPrivate);
  // The outbox stamps events with the same fake clock, so they are due when the test says.
  const makeStores = (db: DatabaseHandle['db']) => ({
    ...createPostgresStores(db),
    webhooks: new PostgresWebhookOutbox(db, clock),
  });
  const unitOfWork = new PostgresUnitOfWork(database.db, makeStores);
  const stores = makeStores(database.db);
  const deadlineMs = options.deadlineMs ?? 5_000;
  const sender = new UndiciWebhookSender({
    policy,
    resolve,
    attemptTimeoutMs: options.attemptTimeoutMs ?? 2_000,
    deadlineMs,
    excerptBytes: WEBHOOK_RESPONSE_EXCERPT_BYTES,
    userAgent: 'rdev-test',
  });
  const secretBox = new AesGcmSecretBox(options.secretKey ?? null, options.previousSecretKey ?? null);
  const webhooks = new WebhookService({
    unitOfWork,
    webhooks: stores.webhookStore,
    deliveries: stores.webhookDeliveries,
    targetGuard: new DnsWebhookTargetGuard({ policy, resolve, allowPrivate }),
    clock,
    secretBox,
  });
  const delivery = new WebhookDeliveryService({
    unitOfWork,
    deliveries: stores.webhookDeliveries,
    sender,
    clock,
    secretBox,
    random: options.random ?? (() => 0.75),
    retry: {
      scheduleMs: options.scheduleMs ?? DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS,
      jitter: 0.2,
      maxRetryAfterMs: 3_600_000,
    },
    disableAfterMs: options.disableAfterMs ?? 5 * 24 * 3_600_000,
    claimLeaseMs: options.claimLeaseMs ?? 15_000,
  });
  return {
    clock,
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    admin: adminPrincipal(),
    stores,
    unitOfWork,
    webhooks,
    delivery,
    /** Events through the outbox, in a unit of work as producers write them. */
    enqueue: (event: Parameters<typeof stores.webhooks.enqueue>[0]) =>
      unitOfWork.run((s) => s.webhooks.enqueue(event)),
    /** Cuts off the attempts in flight, as a replica's shutdown does at the end of its grace. */
    abortAttempts: () => sender.abort(),
    close: () => sender.close(),
  };
}
