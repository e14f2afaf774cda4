import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { type ReplicaCluster, startReplicaCluster } from '../support/replicas.js';
import { POSTGRES_URL } from '../support/test-databases.js';
import { sleep } from '../support/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

describe.runIf(POSTGRES_URL)('webhooks across a killed API process', () => {
  let cluster: ReplicaCluster | undefined;
  let receiver: WebhookReceiver | undefined;
  afterEach(async () => {
    await cluster?.close();
    await receiver?.close();
    cluster = undefined;
    receiver = undefined;
  });

  it('sends, after a restart, the events of a command whose changes committed before SIGKILL', async () => {
    receiver = await startWebhookReceiver();
    // The first process commits the command's status changes and their events, but its delivery
    // worker is off: it dies holding unsent webhooks, as if killed just after each commit.
    cluster = await startReplicaCluster({
      count: 1,
      projects: { alpha: { max_concurrent_commands: 2 } },
      env: { RDEV_WEBHOOK_ALLOW_PRIVATE: 'true', RDEV_WEBHOOK_WORKER: 'false' },
    });
    const c = cluster;
    const first = c.replicas[0]!;
    const created = await c.graphql(
      first,
      `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) {
        __typename ... on CreateWebhookPayload { secret } ... on Error { code message } } }`,
      {
        input: {
          url: `${receiver.origin}/hook`,
          events: ['COMMAND_QUEUED', 'COMMAND_STARTED', 'COMMAND_SUCCEEDED'],
          projectNames: ['alpha'],
        },
      },
    );
    const { secret } = created.body.data.createWebhook;
    expect(secret).toMatch(/^whsec_/);
    const run = await c.graphql(
      first,
      `mutation { runShell(input: { projectName: "alpha", argv: ["echo", "hello"] }) {
        __typename ... on RunCommandPayload { command { id } } ... on Error { code message } } }`,
    );
    expect(run.body.data.runShell.__typename).toBe('RunCommandPayload');
    for (let i = 0; ; i++) {
      const { rows } = await c.sql.query(`SELECT status FROM commands`);
      if (rows[0]?.status === 'SUCCEEDED') break;
      if (i > 200) throw new Error(`the command did not finish: ${JSON.stringify(rows)}`);
      await sleep(50);
    }
    const { rows: events } = await c.sql.query(`SELECT message_id, type FROM webhook_events ORDER BY id`);
    expect(events.map((e) => e.type)).toEqual(['command.queued', 'command.started', 'command.succeeded']);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(receiver.received).toHaveLength(0);

    await c.start({ RDEV_WEBHOOK_WORKER: 'true', RDEV_WEBHOOK_POLL_INTERVAL_MS: '50' });
    const got = await receiver.waitFor(3, 20_000);
    expect(got.map((r) => r.headers['webhook-id']).sort()).toEqual(events.map((e) => e.message_id).sort());
    for (const r of got) {
      const body = new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as any;
      expect(body.data).toMatchObject({ projectName: 'alpha' });
    }
    // Sent once each: nothing more arrives, and every delivery is recorded as succeeded.
    for (let i = 0; ; i++) {
      const { rows } = await c.sql.query(
        `SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'SUCCEEDED'`,
      );
      if (rows[0].n === 3) break;
      if (i > 100) throw new Error('deliveries were not recorded');
      await sleep(50);
    }
    expect(receiver.received).toHaveLength(3);
  });

  it('sends again at once, without using a retry, a delivery whose sender was killed mid-request', async () => {
    // The first request is held open; the process that sent it is killed before any answer.
    let first: (() => void) | null = null;
    receiver = await startWebhookReceiver((_request, res, n) => {
      if (n === 1) first = () => res.destroy();
      else res.end('ok');
    });
    const leaseMs = 2_000;
    cluster = await startReplicaCluster({
      count: 1,
      projects: { alpha: {} },
      env: {
        RDEV_WEBHOOK_ALLOW_PRIVATE: 'true',
        RDEV_LEASE_TTL_MS: String(leaseMs),
        RDEV_WEBHOOK_POLL_INTERVAL_MS: '100',
        // Were the killed attempt counted as the receiver's failure, the next would wait an hour.
        RDEV_WEBHOOK_RETRY_SCHEDULE: '1h',
      },
    });
    const c = cluster;
    const created = await c.graphql(
      c.replicas[0]!,
      `mutation { createWebhook(input: { url: "${receiver.origin}/hook", events: [COMMAND_QUEUED] }) {
        ... on CreateWebhookPayload { webhook { id } } } }`,
    );
    expect(created.body.data.createWebhook.webhook.id).toBeTruthy();
    await c.graphql(
      c.replicas[0]!,
      `mutation { runShell(input: { projectName: "alpha", argv: ["true"] }) { __typename } }`,
    );
    const [sent] = await receiver.waitFor(1, 20_000);
    const victim = c.replicas[0]!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    first!();
    await c.start();
    // Due again one lease after the kill, sent at the restarted replica's first look after that.
    const dueBy = Math.max(killedAt + leaseMs, Date.now()) + 5_000;

    const delivered = async () =>
      (
        await c.sql.query(
          `SELECT d.status, d.attempt_count, d.failed_automatic_attempts,
             (SELECT count(*)::int FROM webhook_attempts a WHERE a.delivery_id = d.id) AS attempts
           FROM webhook_deliveries d`,
        )
      ).rows[0];
    for (;;) {
      const row = await delivered();
      if (row?.status === 'SUCCEEDED') break;
      if (Date.now() > dueBy) {
        throw new Error(`not delivered within the lease and 5 s: ${JSON.stringify(row)}`);
      }
      await sleep(100);
    }
    // Received at least once under the one stable id, and recorded once: the killed attempt left
    // no record and used up no retry.
    const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']));
    expect(ids).toEqual(new Set([sent!.headers['webhook-id']]));
    expect(receiver.received.length).toBeGreaterThanOrEqual(2);
    expect(await delivered()).toEqual({
      status: 'SUCCEEDED',
      attempt_count: 1,
      failed_automatic_attempts: 0,
      attempts: 1,
    });
  });
});
