import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { type ReplicaCluster, startReplicaCluster } from '../support/replicas.js';
import { POSTGRES_URL } from '../support/test-databases.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
});
