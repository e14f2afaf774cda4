import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { DATABASE_KINDS } from '../support/test-databases.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';
import { useWebhookSuite } from '../support/webhook-suite.js';

const DAY = 24 * 3_600_000;
const RETENTION = 30 * DAY;

describe.each(DATABASE_KINDS)('webhook retention on %s', (kind) => {
  const { database, receiver, harness } = useWebhookSuite(kind);

  const counts = async () => {
    const { rows } = await sql<{ events: number; deliveries: number; attempts: number }>`
      SELECT (SELECT count(*)::int FROM webhook_events) AS events,
             (SELECT count(*)::int FROM webhook_deliveries) AS deliveries,
             (SELECT count(*)::int FROM webhook_attempts) AS attempts`.execute(database().db);
    return rows[0];
  };

  it('deletes old events whose deliveries all ended, with their deliveries and attempts, and keeps any still pending', async () => {
    // No retries: a failed attempt fails the delivery for good; and the failing webhook is not
    // disabled over the weeks this test spans.
    const h = await harness({ scheduleMs: [], disableAfterMs: 1000 * DAY });
    const r = await receiver((req, res) => {
      res.statusCode = req.path === '/fail' ? 500 : 200;
      res.end();
    });
    for (const path of ['/ok', '/fail']) {
      await h.webhooks.create(h.admin, { url: `${r.origin}${path}`, events: ['command.succeeded'] });
    }
    const event = (i: number) => h.enqueue({ type: 'command.succeeded', projectName: 'demo', data: { i } });

    // Three old events, delivered: one SUCCEEDED and one FAILED delivery each.
    for (const i of [1, 2, 3]) await event(i);
    expect((await h.delivery.deliverDue(10)).map((a) => a.outcome).sort()).toEqual([
      'failed',
      'failed',
      'failed',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    h.advance(10 * DAY);
    // One event whose deliveries have not been attempted yet.
    await event(4);
    h.advance(25 * DAY);
    await event(5);
    await h.delivery.deliverDue(10).then((done) => expect(done).toHaveLength(4));
    expect(await counts()).toEqual({ events: 5, deliveries: 10, attempts: 10 });

    // Batches of two: the three old ones go over two batches; 4 is not old enough, 5 is new.
    expect(await h.delivery.pruneExpired(RETENTION, 2)).toBe(3);
    expect(await counts()).toEqual({ events: 2, deliveries: 4, attempts: 4 });
    expect(await h.delivery.pruneExpired(RETENTION, 2)).toBe(0);

    // An old event with a delivery still pending stays until that delivery ends.
    await event(6);
    h.advance(40 * DAY);
    expect(await h.delivery.pruneExpired(RETENTION)).toBe(2);
    expect(await counts()).toEqual({ events: 1, deliveries: 2, attempts: 0 });
    await h.delivery.deliverDue(10);
    expect(await h.delivery.pruneExpired(RETENTION)).toBe(1);
    expect(await counts()).toEqual({ events: 0, deliveries: 0, attempts: 0 });
    // The webhooks themselves stay.
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM webhooks`.execute(database().db);
    expect(rows[0]!.n).toBe(2);
  });
});

describe('webhook retention in the server', () => {
  let t: TestApp | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  it('deletes ended deliveries once RDEV_WEBHOOK_RETENTION_SECONDS has passed', async () => {
    const r = await startWebhookReceiver();
    try {
      t = await startTestApp('pglite', {
        RDEV_WEBHOOK_ALLOW_PRIVATE: 'true',
        RDEV_WEBHOOK_POLL_INTERVAL_MS: '50',
        RDEV_WEBHOOK_RETENTION_SECONDS: '1',
      });
      const created = await t.graphql(
        `mutation($url: String!) { createWebhook(input: { url: $url, events: [COMMAND_SUCCEEDED] }) {
          ... on CreateWebhookPayload { webhook { id } } } }`,
        { url: `${r.origin}/` },
        t.auth(),
      );
      const id = created.body.data.createWebhook.webhook.id;
      await t.graphql(
        'mutation($id: ID!) { pingWebhook(input: { id: $id }) { __typename } }',
        { id },
        t.auth(),
      );
      await r.waitFor(1);
      const deliveries = async () =>
        (
          await t!.graphql(
            'query($id: ID!) { node(id: $id) { ... on Webhook { deliveries(first: 10) { edges { node { status } } } } } }',
            { id },
            t!.auth(),
          )
        ).body.data.node.deliveries.edges.map((e: any) => e.node.status);
      await expect.poll(deliveries, { timeout: 10_000, interval: 20 }).toEqual(['SUCCEEDED']);
      await expect.poll(deliveries, { timeout: 10_000, interval: 100 }).toEqual([]);
    } finally {
      await r.close();
    }
  });
});
