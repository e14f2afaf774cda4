import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/adapters/postgres/database.js';
import { createLogger } from '../../src/observability/logger.js';
import { AppMetrics } from '../../src/observability/metrics.js';
import { WebhookDeliveryWorker } from '../../src/workers/webhook-delivery-worker.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/test-databases.js';
import { webhookHarness } from '../support/webhook-harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

describe.each(DATABASE_KINDS)('webhook workers on two replicas, %s', (kind) => {
  // Replicas share PostgreSQL; PGlite belongs to one process, so there the two workers share
  // its single connection, and fewer deliveries keep the run short.
  const PENDING = kind === 'postgres' ? 2_000 : 300;
  let database: TestDatabase;
  let second: DatabaseHandle | null = null;
  let receiver: WebhookReceiver;
  const closers: (() => Promise<void>)[] = [];
  beforeEach(async () => {
    database = await createTestDatabase(kind);
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await second?.close();
    second = null;
    await receiver.close();
    await database.dispose();
  });

  it(`sends each of ${PENDING} pending deliveries exactly once`, { timeout: 120_000 }, async () => {
    // On PostgreSQL the second replica has its own connection pool, as another process would.
    second =
      kind === 'postgres'
        ? await openDatabase({ kind: 'postgres', url: database.testUrl!, poolSize: 5 })
        : null;
    // Generous attempt timeouts: on PGlite the database shares this process's event loop with
    // the receiver, and a response read late must not turn into a retry.
    const options = { attemptTimeoutMs: 60_000, deadlineMs: 120_000 };
    const replicas = [
      await webhookHarness(database, options),
      await webhookHarness(second ?? database, options),
    ];
    for (const r of replicas) closers.push(() => r.close());
    const [a] = replicas;

    const { webhook } = await a!.webhooks.create(a!.admin, {
      url: `${receiver.origin}/`,
      events: ['command.succeeded'],
    });
    await a!.unitOfWork.run(async ({ webhooks }) => {
      for (let i = 0; i < PENDING; i++) {
        await webhooks.enqueue({ type: 'command.succeeded', projectName: 'demo', data: { i } });
      }
    });
    expect(await a!.delivery.backlog()).toBe(PENDING);

    const metrics = replicas.map(() => new AppMetrics());
    const workers = replicas.map(
      (r, i) =>
        new WebhookDeliveryWorker({
          deliveries: r.delivery,
          logger: createLogger({ level: 'silent' }),
          metrics: metrics[i]!,
          concurrency: 16,
          pollIntervalMs: 20,
        }),
    );
    for (const w of workers) w.start();
    closers.push(async () => {
      for (const w of workers) await w.stop();
    });

    await receiver.waitFor(PENDING, 110_000);
    await expect.poll(() => a!.delivery.backlog(), { timeout: 10_000, interval: 100 }).toBe(0);
    for (const w of workers) await w.stop();

    const ids = receiver.received.map((r) => String(r.headers['webhook-id']));
    expect(ids).toHaveLength(PENDING);
    expect(new Set(ids).size).toBe(PENDING);
    const bodies = new Set(receiver.received.map((r) => JSON.parse(r.body.toString()).data.i));
    expect(bodies.size).toBe(PENDING);

    const attempts = await database.db
      .selectFrom('webhook_attempts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(attempts.n)).toBe(PENDING);
    const succeeded = await a!.webhooks.listDeliveries(
      a!.admin,
      webhook.id,
      { status: 'SUCCEEDED' },
      { first: 100 },
    );
    expect(succeeded.items).toHaveLength(100);

    // Both replicas took a share, and their counters add up to one attempt per delivery.
    const perReplica = await Promise.all(
      metrics.map(
        async (m) =>
          (await m.webhookDeliveries.get()).values.find((v) => v.labels.outcome === 'succeeded')?.value ?? 0,
      ),
    );
    expect(perReplica.reduce((x, y) => x + y, 0)).toBe(PENDING);
    expect(perReplica.every((n) => n > 0)).toBe(true);
    expect((await metrics[0]!.webhookBacklog.get()).values[0]?.value).toBe(0);
  });
});
