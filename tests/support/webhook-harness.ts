import { randomUUID } from 'node:crypto';
import { systemHostResolver } from '../../src/adapters/http/host-resolver.js';
import type { DatabaseHandle } from '../../src/adapters/postgres/database.js';
import { createPostgresStores } from '../../src/adapters/postgres/postgres-stores.js';
import { PostgresUnitOfWork } from '../../src/adapters/postgres/postgres-unit-of-work.js';
import { PostgresWebhookOutbox } from '../../src/adapters/postgres/postgres-webhook-outbox.js';
import { buildTelemetry } from '../../src/composition/build-telemetry.js';
import { buildWebhooks } from '../../src/composition/build-webhooks.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { KeyPrincipal } from '../../src/domain/principal.js';
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS } from '../../src/domain/webhook-retry.js';
import { createLogger } from '../../src/observability/logger.js';
import type { HostResolver } from '../../src/ports/webhook-target-guard.js';

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
 * The webhook services over a real database and the real undici sender, wired by the real root's
 * `buildWebhooks` from a configuration, with a clock the test moves by hand and no polling worker
 * (tests drive deliveries, or start their own workers).
 */
export async function webhookHarness(database: DatabaseHandle, options: WebhookHarnessOptions = {}) {
  let now = options.startAt ?? Date.now();
  const clock = () => new Date(now);
  const base = loadConfig({ NODE_ENV: 'test', PORT: '0' });
  const config: Config = {
    ...base,
    webhookAllowPrivate: options.allowPrivate ?? true,
    commands: { ...base.commands, leaseMs: options.claimLeaseMs ?? 15_000 },
    webhooks: {
      ...base.webhooks,
      attemptTimeoutMs: options.attemptTimeoutMs ?? 2_000,
      attemptDeadlineMs: options.deadlineMs ?? 5_000,
      retryScheduleMs: [...(options.scheduleMs ?? DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS)],
      retryJitter: 0.2,
      maxRetryAfterMs: 3_600_000,
      disableAfterMs: options.disableAfterMs ?? 5 * 24 * 3_600_000,
      secretKey: (options.secretKey ?? null) as Config['webhooks']['secretKey'],
      previousSecretKey: (options.previousSecretKey ?? null) as Config['webhooks']['previousSecretKey'],
      worker: false,
    },
  };
  // The outbox stamps events with the same fake clock, so they are due when the test says.
  const makeStores = (db: DatabaseHandle['db']) => ({
    ...createPostgresStores(db),
    webhooks: new PostgresWebhookOutbox(db, clock),
  });
  const unitOfWork = new PostgresUnitOfWork(database.db, makeStores);
  const stores = makeStores(database.db);
  const telemetry = await buildTelemetry(config, { logger: createLogger({ level: 'silent' }) });
  const built = await buildWebhooks(
    config,
    {
      unitOfWork,
      webhookStore: stores.webhookStore,
      deliveries: stores.webhookDeliveries,
      resolve: options.resolve ?? systemHostResolver,
      ...telemetry,
    },
    { clock, random: options.random ?? (() => 0.75) },
  );
  let closed: Promise<void> | undefined;
  return {
    clock,
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    admin: adminPrincipal(),
    stores,
    unitOfWork,
    webhooks: built.service,
    delivery: built.delivery,
    /** Events through the outbox, in a unit of work as producers write them. */
    enqueue: (event: Parameters<typeof stores.webhooks.enqueue>[0]) =>
      unitOfWork.run((s) => s.webhooks.enqueue(event)),
    /** Cuts off the attempts in flight, as a replica's shutdown does at the end of its grace. */
    abortAttempts: () => built.abortAttempts(),
    close: () => {
      closed ??= built.stop(Promise.resolve());
      return closed;
    },
  };
}
