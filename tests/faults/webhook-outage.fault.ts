import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { localId, queryable, readyStatus, sleep, until, webhookProblems } from '../support/fault-checks.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { POSTGRES_URL } from '../support/test-databases.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

type Mode = 'ok' | '503' | 'hang';

/**
 * A webhook receiver goes away for a long stretch: first its port refuses connections, then it
 * answers 503, then it takes requests and never answers. Events keep coming meanwhile. When it
 * is back, every event reaches it under its stable message id; and when an outage outlasts the
 * retry schedule, the deliveries are left FAILED (never dropped) and a redelivery sends them.
 */
describe('a webhook receiver down for a long stretch', () => {
  let t: TestApp | undefined;
  const receivers: WebhookReceiver[] = [];
  const hanging: ServerResponse[] = [];
  afterEach(async () => {
    for (const res of hanging.splice(0)) res.destroy();
    for (const r of receivers.splice(0)) await r.close().catch(() => {});
    await t?.close();
    t = undefined;
  });

  let mode: Mode = 'ok';
  const receiver = async (port = 0) => {
    const r = await startWebhookReceiver((_req, res) => {
      if (mode === 'hang') {
        hanging.push(res);
        return;
      }
      if (mode === '503') {
        res.writeHead(503, { 'retry-after': '1' });
        res.end('busy');
        return;
      }
      res.end('ok');
    }, port);
    receivers.push(r);
    return r;
  };

  const start = (schedule: string) =>
    startTestApp(POSTGRES_URL ? 'postgres' : 'pglite', {
      RDEV_WEBHOOK_ALLOW_PRIVATE: 'true',
      RDEV_WEBHOOK_RETRY_SCHEDULE: schedule,
      RDEV_WEBHOOK_POLL_INTERVAL_MS: '100',
      RDEV_WEBHOOK_ATTEMPT_TIMEOUT_MS: '1000',
      RDEV_WEBHOOK_ATTEMPT_DEADLINE_MS: '2000',
      RDEV_RATE_LIMIT_PER_KEY: '1000000',
    });

  const createWebhook = async (app: TestApp, origin: string) => {
    const { body } = await app.graphql(
      `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { ... on CreateWebhookPayload { webhook { id } } } }`,
      { input: { url: `${origin}/hook`, events: ['COMMAND_QUEUED', 'COMMAND_CANCELLED'] } },
      app.auth(),
    );
    return body.data.createWebhook.webhook.id as string;
  };
  /** Two events per call: a command queued (in a project that does not run it) and cancelled. */
  const produce = async (app: TestApp, n: number) => {
    for (let i = 0; i < n; i++) {
      const { body } = await app.graphql(
        `mutation { runShell(input: { projectName: "demo", argv: ["true"], priority: 0 }) { ... on RunCommandPayload { command { id } } } }`,
        {},
        app.auth(),
      );
      const id = body.data.runShell.command.id;
      await app.graphql(
        'mutation($id: ID!) { cancelCommand(input: { id: $id }) { __typename } }',
        { id },
        app.auth(),
      );
    }
  };

  it('delivers every event once it is back, after refusals, 503s and hangs longer than the first retries', async () => {
    mode = 'ok';
    const first = await receiver();
    t = await start('200ms,500ms,1s,2s,4s,8s,15s');
    const app = t;
    const webhookId = localId(await createWebhook(app, first.origin));
    await produce(app, 2);
    await first.waitFor(4);
    // Down: connections refused.
    await first.close();
    receivers.splice(receivers.indexOf(first), 1);
    const producing = (async () => {
      for (let i = 0; i < 15; i++) {
        await produce(app, 1);
        await sleep(1_000);
      }
    })();
    await sleep(5_000);
    // Up again but failing: 503 with Retry-After, then requests that never get an answer.
    mode = '503';
    const second = await receiver(first.port);
    await sleep(5_000);
    mode = 'hang';
    await sleep(5_000);
    mode = 'ok';
    await producing;
    const sql = queryable(app.database);
    try {
      await until(
        () => webhookProblems(sql, webhookId, mergedReceiver(first, second)),
        60_000,
        'every delivery',
      );
      expect(await webhookProblems(sql, webhookId, mergedReceiver(first, second))).toEqual([]);
      const { rows } = await sql.query(
        `SELECT count(*)::int AS events, max(attempt_count)::int AS most, count(*) FILTER (WHERE attempt_count > 1)::int AS retried
         FROM webhook_deliveries WHERE webhook_id = $1`,
        [webhookId],
      );
      expect(rows[0].events).toBe(2 * 17);
      expect(rows[0].retried).toBeGreaterThan(5);
      // Each attempt is on record, failures with what went wrong.
      const attempts = await sql.query(
        `SELECT a.status_code, a.error FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = $1`,
        [webhookId],
      );
      expect(attempts.rows.some((a) => a.status_code === 503)).toBe(true);
      expect(attempts.rows.some((a) => a.status_code === null && a.error)).toBe(true);
      console.log(
        `${rows[0].events} deliveries, ${rows[0].retried} retried, at most ${rows[0].most} attempts, ${attempts.rows.length} attempts in all`,
      );
    } finally {
      await sql.close();
    }
    expect(await readyStatus(app.url)).toBe(200);
  });

  it('leaves deliveries FAILED, not lost, when the outage outlasts the schedule, and redelivers them', async () => {
    mode = 'ok';
    const first = await receiver();
    t = await start('200ms,300ms');
    const app = t;
    const globalWebhookId = await createWebhook(app, first.origin);
    const webhookId = localId(globalWebhookId);
    await first.close();
    receivers.splice(receivers.indexOf(first), 1);
    await produce(app, 3);
    const sql = queryable(app.database);
    try {
      await until(
        async () =>
          (
            await sql.query(
              `SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1 AND status = 'FAILED'`,
              [webhookId],
            )
          ).rows[0].n === 6,
        30_000,
        'the deliveries to fail',
      );
      // The webhook is not disabled by a short outage; new events still go out once it is back.
      const back = await receiver(first.port);
      await produce(app, 1);
      await back.waitFor(2, 15_000);
      // A person asks for the failed ones again: same message ids.
      const { body } = await app.graphql(
        `query($id: ID!) { node(id: $id) { ... on Webhook { enabled deliveries(first: 50) { edges { node { id status messageId } } } } } }`,
        { id: globalWebhookId },
        app.auth(),
      );
      expect(body.data.node.enabled).toBe(true);
      const failed = body.data.node.deliveries.edges
        .map((e: any) => e.node)
        .filter((d: any) => d.status === 'FAILED');
      expect(failed).toHaveLength(6);
      for (const d of failed) {
        const res = await app.graphql(
          'mutation($id: ID!) { redeliverWebhookDelivery(input: { id: $id }) { __typename } }',
          { id: d.id },
          app.auth(),
        );
        expect(res.body.data.redeliverWebhookDelivery.__typename).toBe('RedeliverWebhookDeliveryPayload');
      }
      await until(() => webhookProblems(sql, webhookId, back), 30_000, 'the redeliveries');
      const ids = new Set(back.received.map((r) => String(r.headers['webhook-id'])));
      for (const d of failed) expect(ids.has(d.messageId)).toBe(true);
    } finally {
      await sql.close();
    }
  });
});

/** What several receivers on the same port got, as one. */
function mergedReceiver(...receivers: WebhookReceiver[]): WebhookReceiver {
  return { ...receivers[0]!, received: receivers.flatMap((r) => r.received) };
}
