// Webhook delivery throughput against a plain undici POST loop to the same local receiver.
//
//   npx tsx bench/webhook-delivery.ts [count] [concurrency]
//
// Uses an in-memory PGlite, or PostgreSQL when DATABASE_URL is set. Writes the numbers to
// bench/results/webhook-delivery-<database>.json. A benchmark, not a test: numbers depend on the machine.

import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { Agent, request } from 'undici';
import { migrations } from '../migrations/index.js';
import { AesGcmSecretBox } from '../src/adapters/crypto/aes-gcm-secret-box.js';
import { systemHostResolver } from '../src/adapters/http/host-resolver.js';
import { UndiciWebhookSender } from '../src/adapters/http/undici-webhook-sender.js';
import { WebhookAddressPolicy } from '../src/adapters/http/webhook-address-policy.js';
import { openDatabase } from '../src/adapters/postgres/database.js';
import { migrateToLatest } from '../src/adapters/postgres/migrator.js';
import { createPostgresStores } from '../src/adapters/postgres/postgres-stores.js';
import { PostgresUnitOfWork } from '../src/adapters/postgres/postgres-unit-of-work.js';
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS } from '../src/domain/webhook-retry.js';
import { generateWebhookSecret } from '../src/domain/webhook-secret.js';
import { webhookSignatureHeaders } from '../src/domain/webhook-signature.js';
import { createLogger } from '../src/observability/logger.js';
import { AppMetrics } from '../src/observability/metrics.js';
import { WebhookDeliveryService } from '../src/services/webhook-delivery-service.js';
import { WebhookDeliveryWorker } from '../src/workers/webhook-delivery-worker.js';

const count = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 8);

let received = 0;
let onReceived: (() => void) | null = null;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    res.statusCode = 204;
    res.end();
    onReceived?.();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
const until = (n: number) =>
  new Promise<void>((resolve) => {
    onReceived = () => received >= n && resolve();
    onReceived();
  });

// Baseline: the same signed POST, `concurrency` loops, no database.
const body = JSON.stringify({
  type: 'command.succeeded',
  timestamp: new Date().toISOString(),
  data: { i: 0 },
});
const secret = generateWebhookSecret();
const agent = new Agent();
let next = 0;
const baselineStart = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next++ < count) {
      const headers = webhookSignatureHeaders({
        id: `msg_${randomUUID()}`,
        timestampSeconds: Date.now() / 1000,
        body,
        secrets: [secret],
      });
      const res = await request(url, {
        dispatcher: agent,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      await res.body.dump();
    }
  }),
);
const baselineSeconds = (performance.now() - baselineStart) / 1000;
await agent.close();

// rdev: outbox rows claimed, signed, sent and recorded by the delivery worker.
const database = await openDatabase(
  process.env.DATABASE_URL
    ? { kind: 'postgres', url: process.env.DATABASE_URL }
    : { kind: 'pglite', dataDir: null },
);
await migrateToLatest(database.db, migrations);
const stores = createPostgresStores(database.db);
const unitOfWork = new PostgresUnitOfWork(database.db, createPostgresStores);
await stores.webhookStore.create(
  {
    id: randomUUID(),
    url,
    events: ['command.succeeded'],
    projectNames: null,
    description: 'bench',
    sendTraceContext: false,
    createdByKeyId: null,
  },
  generateWebhookSecret(),
  new Date(),
);
await unitOfWork.run(async ({ webhooks }) => {
  for (let i = 0; i < count; i++) await webhooks.enqueue({ type: 'command.succeeded', data: { i } });
});
const sender = new UndiciWebhookSender({
  policy: new WebhookAddressPolicy(true),
  resolve: systemHostResolver,
  attemptTimeoutMs: 15_000,
  deadlineMs: 30_000,
  excerptBytes: 4096,
  userAgent: 'rdev-bench',
});
const worker = new WebhookDeliveryWorker({
  deliveries: new WebhookDeliveryService({
    unitOfWork,
    deliveries: stores.webhookDeliveries,
    sender,
    secretBox: new AesGcmSecretBox(null),
    clock: () => new Date(),
    retry: { scheduleMs: DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS, jitter: 0.2, maxRetryAfterMs: 3_600_000 },
    disableAfterMs: 5 * 24 * 3_600_000,
    claimLeaseMs: 15_000,
  }),
  logger: createLogger({ level: 'silent' }),
  metrics: new AppMetrics(),
  concurrency,
  pollIntervalMs: 10,
});
received = 0;
const rdevStart = performance.now();
worker.start();
await until(count);
const rdevSeconds = (performance.now() - rdevStart) / 1000;
await worker.stop();
await sender.close();
await database.close();
server.close();

const result = {
  at: new Date().toISOString(),
  database: database.kind,
  count,
  concurrency,
  cpus: cpus().length,
  node: process.version,
  baselinePerSecond: Math.round(count / baselineSeconds),
  rdevPerSecond: Math.round(count / rdevSeconds),
  ratio: Number((baselineSeconds / rdevSeconds).toFixed(3)),
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(`./results/webhook-delivery-${database.kind}.json`, import.meta.url),
  `${JSON.stringify(result, null, 2)}\n`,
);
process.stdout.write(`${JSON.stringify(result)}\n`);
