import { forkChild } from '../lib/child.js';
import { BENCH_RDEV_ENV, createRdevSite } from '../lib/rdev-site.js';
import { alternate, type Benchmark, measure, row } from '../lib/report.js';

const DELIVERIES = 2000;
/** rdev's default `RDEV_WEBHOOK_CONCURRENCY`; the anchor keeps as many requests in flight. */
const CONCURRENCY = 8;
const CREATE = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) {
  __typename ... on CreateWebhookPayload { webhook { id } } ... on Error { message } } }`;

/** A command event as rdev sends it: ids and statuses, a few hundred bytes. */
const BODY = JSON.stringify({
  type: 'command.succeeded',
  timestamp: '2026-01-01T00:00:00.000Z',
  data: {
    command: {
      id: '0d6f1c1e-9d0b-4c55-9a57-3f5c3f1b2a10',
      projectName: 'bench',
      type: 'SHELL',
      status: 'SUCCEEDED',
      exitCode: 0,
      signal: null,
      error: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      startedAt: '2026-01-01T00:00:00.010Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
    },
  },
});

/**
 * B5: webhook deliveries per second by rdev's delivery worker (claim with SKIP LOCKED, sign, POST
 * through the SSRF-guarded connector, record the attempt) to a local receiver, against a plain
 * undici POST loop with as many requests in flight to the same receiver. Both are timed at the
 * receiver, first request to last.
 */
export const b5: Benchmark = {
  id: 'B5',
  title: 'webhook deliveries per second',
  async run(ctx) {
    const site = await createRdevSite({
      kind: 'postgres',
      postgresUrl: ctx.postgresUrl,
      projects: { bench: {} },
      profileDir: ctx.profileDir,
    });
    const receiver = await forkChild(new URL('../anchors/webhook-receiver.ts', import.meta.url));
    const loop = await forkChild(new URL('../loaders/post-loop.ts', import.meta.url));
    try {
      const rdev = await site.start('b5-rdev', {
        RDEV_WEBHOOK_ALLOW_PRIVATE: BENCH_RDEV_ENV.RDEV_WEBHOOK_ALLOW_PRIVATE!,
        RDEV_WEBHOOK_CONCURRENCY: String(CONCURRENCY),
      });
      const url = `http://127.0.0.1:${await receiver.request<number>('port')}/hook`;
      const created = await rdev.graphql(CREATE, { input: { url, events: ['COMMAND_SUCCEEDED'] } });
      if (created.createWebhook.__typename !== 'CreateWebhookPayload')
        throw new Error(JSON.stringify(created));
      const webhookId = Buffer.from(created.createWebhook.webhook.id, 'base64')
        .toString('utf8')
        .split(':')[1]!;
      let batch = 0;

      const viaRdev = async (count: number) => {
        await receiver.request('expect', { count });
        // The outbox rows the command service would have written, due now.
        batch++;
        await site.sql!.query(
          `WITH ev AS (
             INSERT INTO webhook_events (message_id, type, project_name, body, created_at)
             SELECT 'msg_bench' || $1::text || '_' || g, 'command.succeeded', 'bench', $2, now()
             FROM generate_series(1, $3::int) g RETURNING id)
           INSERT INTO webhook_deliveries (webhook_id, event_id, status, next_attempt_at, created_at, updated_at)
           SELECT $4, ev.id, 'PENDING', now(), now(), now() FROM ev`,
          [String(batch), BODY, count, webhookId],
        );
        const r = await receiver.request<{ received: number; seconds: number }>('done', {
          timeoutMs: 120_000,
        });
        // The last attempts are recorded just after their answers arrive.
        for (let tries = 0; ; tries++) {
          const { rows } = await site.sql!.query(
            `SELECT count(*)::int AS n FROM webhook_deliveries WHERE status <> 'SUCCEEDED'`,
          );
          if (rows[0].n === 0) break;
          if (tries > 300) throw new Error(`${rows[0].n} deliveries did not succeed`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return count / r.seconds;
      };
      const viaUndici = async (count: number) => {
        await receiver.request('expect', { count });
        await loop.request('run', {
          url,
          count,
          concurrency: CONCURRENCY,
          body: BODY,
          headers: {
            'content-type': 'application/json',
            'webhook-id': 'msg_0123456789abcdefghijkl',
            'webhook-timestamp': '1767225600',
            'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
          },
        });
        const r = await receiver.request<{ received: number; seconds: number }>('done', {
          timeoutMs: 120_000,
        });
        return count / r.seconds;
      };
      await viaRdev(200);
      await viaUndici(200);
      const runs = await alternate(
        ctx.rounds,
        () => viaRdev(DELIVERIES),
        () => viaUndici(DELIVERIES),
      );
      return [
        row({
          id: 'B5',
          title: 'webhook deliveries/s to a local receiver vs plain undici POST loop',
          database: 'postgres',
          rdev: measure('rdev delivery worker', 'deliveries/s', runs.a),
          anchor: measure(`undici POST loop (${CONCURRENCY} in flight)`, 'requests/s', runs.b),
          target: { op: '>=', value: 0.5 },
          details: { deliveriesPerRound: DELIVERIES, concurrency: CONCURRENCY },
        }),
      ];
    } finally {
      await loop.stop();
      await receiver.stop();
      await site.close();
    }
  },
};
