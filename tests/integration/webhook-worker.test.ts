import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { AppMetrics } from '../../src/observability/metrics.js';
import { WebhookDeliveryWorker } from '../../src/workers/webhook-delivery-worker.js';
import { DATABASE_KINDS } from '../support/test-databases.js';
import type { webhookHarness } from '../support/webhook-harness.js';
import { useWebhookSuite } from '../support/webhook-suite.js';

type Harness = Awaited<Awaited<ReturnType<typeof webhookHarness>>>;
// Requests the receiver holds must not time out while the test looks.
const HOLD = { attemptTimeoutMs: 60_000, deadlineMs: 120_000 };

function worker(h: Harness, concurrency: number) {
  return new WebhookDeliveryWorker({
    deliveries: h.delivery,
    logger: createLogger({ level: 'silent' }),
    metrics: new AppMetrics(),
    concurrency,
    pollIntervalMs: 20,
  });
}

async function enqueue(h: Harness, count: number) {
  await h.unitOfWork.run(async ({ webhooks }) => {
    for (let i = 0; i < count; i++) {
      await webhooks.enqueue({ type: 'command.succeeded', projectName: 'demo', data: { i } });
    }
  });
}

describe.each(DATABASE_KINDS)('the webhook delivery worker on %s', (kind) => {
  const { database, receiver, harness } = useWebhookSuite(kind);

  const deliveryRows = () =>
    sql<{ status: string; claimed: boolean; attempts: number }>`
      SELECT d.status, d.claim_token IS NOT NULL AS claimed,
             (SELECT count(*)::int FROM webhook_attempts a WHERE a.delivery_id = d.id) AS attempts
      FROM webhook_deliveries d`
      .execute(database().db)
      .then((r) => r.rows);

  it('claims ahead of its free slots, and on stop records every attempt sent and hands back the rest', async () => {
    const h = await harness(HOLD);
    // The receiver holds every request until the test lets them go.
    const held: (() => void)[] = [];
    const r = await receiver((_request, res) => {
      held.push(() => res.end('ok'));
    });
    await h.webhooks.create(h.admin, { url: `${r.origin}/`, events: ['command.succeeded'] });
    await enqueue(h, 20);
    const w = worker(h, 2);
    w.start();
    await r.waitFor(2);
    // Two attempts in flight and four more claimed, waiting for a slot.
    await expect.poll(async () => (await deliveryRows()).filter((d) => d.claimed).length).toBe(6);

    const stopped = w.stop();
    for (const release of held.splice(0)) release();
    await stopped;
    expect(r.received).toHaveLength(2);
    const rows = await deliveryRows();
    // The two sent are recorded; the claims never sent are free for any worker at once.
    expect(rows.filter((d) => d.status === 'SUCCEEDED' && d.attempts === 1)).toHaveLength(2);
    expect(rows.filter((d) => d.claimed)).toEqual([]);
    expect(await h.delivery.claim(100)).toHaveLength(18);
  });

  it('records every attempt of a run, in batches, each delivery sent once', async () => {
    const h = await harness();
    const r = await receiver();
    await h.webhooks.create(h.admin, { url: `${r.origin}/`, events: ['command.succeeded'] });
    await enqueue(h, 60);
    const w = worker(h, 4);
    w.start();
    await r.waitFor(60);
    await w.stop();
    const ids = r.received.map((got) => String(got.headers['webhook-id']));
    expect(new Set(ids).size).toBe(60);
    const rows = await deliveryRows();
    expect(rows.every((d) => d.status === 'SUCCEEDED' && d.attempts === 1 && !d.claimed)).toBe(true);
    expect(await h.delivery.backlog()).toBe(0);
  });

  it('does not send a claim that waited for a slot until another worker could take it', async () => {
    const h = await harness(HOLD);
    let letGo: (() => void) | null = null;
    const r = await receiver((_request, res, n) => {
      if (n === 1) letGo = () => res.end('ok');
      else res.end('ok');
    });
    await h.webhooks.create(h.admin, { url: `${r.origin}/`, events: ['command.succeeded'] });
    await enqueue(h, 3);
    const w = worker(h, 1);
    w.start();
    await r.waitFor(1);
    await expect.poll(async () => (await deliveryRows()).filter((d) => d.claimed).length).toBe(3);
    // The first attempt hangs until every claim has expired and another worker took them all.
    h.advance(HOLD.deadlineMs + 61_000);
    expect(await h.delivery.claim(10)).toHaveLength(3);
    letGo!();
    // The first attempt is stored (as lost: its delivery now belongs to the other worker)...
    await expect.poll(async () => (await deliveryRows()).reduce((n, d) => n + d.attempts, 0)).toBe(1);
    await w.stop();
    // ...and the two claims that waited were never sent.
    expect(r.received).toHaveLength(1);
    expect((await deliveryRows()).filter((d) => d.claimed && d.status === 'PENDING')).toHaveLength(3);
  });

  it('records an attempt that its own shutdown cut short, uses no retry, and makes it due at once', async () => {
    const h = await harness({ ...HOLD, scheduleMs: [3_600_000] });
    const r = await receiver(() => {
      // Never answers: the attempt is still waiting when the worker's grace runs out.
    });
    await h.webhooks.create(h.admin, { url: `${r.origin}/`, events: ['command.succeeded'] });
    await enqueue(h, 1);
    const w = worker(h, 1);
    w.start();
    await r.waitFor(1);
    const stopped = w.stop();
    h.abortAttempts();
    await stopped;
    const [row] = await sql<{
      status: string;
      attempts: number;
      failed: number;
      due: boolean;
      claimed: boolean;
      error: string;
      failing: boolean;
    }>`
      SELECT d.status, d.failed_automatic_attempts AS failed, d.claim_token IS NOT NULL AS claimed,
             d.next_attempt_at <= ${h.clock()} AS due,
             (SELECT count(*)::int FROM webhook_attempts a WHERE a.delivery_id = d.id) AS attempts,
             (SELECT a.error FROM webhook_attempts a WHERE a.delivery_id = d.id) AS error,
             (SELECT w.failing_since IS NOT NULL FROM webhooks w WHERE w.id = d.webhook_id) AS failing
      FROM webhook_deliveries d`
      .execute(database().db)
      .then((x) => x.rows);
    // On record, so the history shows the cut-off attempt, but not the receiver's failure.
    expect(row).toEqual({
      status: 'PENDING',
      attempts: 1,
      failed: 0,
      due: true,
      claimed: false,
      error: expect.stringMatching(/shut down/),
      failing: false,
    });
    expect(await h.delivery.claim(10)).toHaveLength(1);
  });
});
