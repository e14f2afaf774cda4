import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  commandProblems,
  expectedTicks,
  type FollowedOutput,
  followedProblems,
  followWithResume,
  localId,
  readinessProblems,
  sleep,
  tickingScript,
  unfinishedCommands,
  until,
  webhookProblems,
} from '../support/fault-checks.js';
import { seededRandom } from '../support/random.js';
import type { RdevProcess } from '../support/rdev-process.js';
import { type ReplicaCluster, startReplicaCluster } from '../support/replicas.js';
import { killRunGroups } from '../support/runtime-harness.js';
import { POSTGRES_URL } from '../support/test-databases.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const CHAOS_MS = Number(process.env.RDEV_FAULT_CHAOS_MS ?? 30_000);
const MIN_KILLS = 4;
const SEED = Number(process.env.RDEV_FAULT_SEED ?? Date.now() % 1_000_000);

interface Planned {
  tag: string;
  lines: number;
  id: string | null;
  cancelled: boolean;
}

/**
 * Two replicas run a scripted workload (commands started, followed and cancelled, with retries
 * under idempotency keys) while one of them is killed, with SIGKILL or SIGTERM at random, every
 * few seconds, and started again. Afterwards every command must have ended exactly once with its
 * whole output, started once, had its webhooks sent and its audit rows written.
 */
describe.runIf(POSTGRES_URL)('API processes killed at random points of a workload', () => {
  let cluster: ReplicaCluster | undefined;
  let receiver: WebhookReceiver | undefined;
  afterAll(async () => {
    await cluster?.close();
    await receiver?.close();
    if (cluster) killRunGroups(join(cluster.workspaces, 'kappa'));
  });

  it(`keeps every promise (seed ${SEED})`, async () => {
    const random = seededRandom(SEED);
    receiver = await startWebhookReceiver();
    cluster = await startReplicaCluster({
      count: 2,
      projects: { kappa: { max_concurrent_commands: 6 } },
      env: {
        RDEV_LEASE_TTL_MS: '3000',
        RDEV_SHUTDOWN_GRACE_MS: '3000',
        RDEV_WEBHOOK_ALLOW_PRIVATE: 'true',
        RDEV_WEBHOOK_RETRY_SCHEDULE: '500ms,1s,2s,3s,5s,5s,5s',
        RDEV_WEBHOOK_POLL_INTERVAL_MS: '200',
        RDEV_LOG_LEVEL: 'error',
      },
    });
    const c = cluster;
    const marker = join(c.workspaces, 'kappa', 'starts');
    const live = () => c.replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null);
    const urls = () => live().map((r) => r.url);
    /** One call, retried on another live replica until some replica answers it. */
    const call = async (query: string, variables: Record<string, unknown> = {}) => {
      for (let attempt = 0; ; attempt++) {
        const targets = live();
        const replica = targets[Math.floor(random() * targets.length)];
        if (replica) {
          try {
            const res = await c.graphql(replica, query, variables);
            if (
              res.status < 500 &&
              !res.body.errors?.some((e: any) => e.extensions?.code === 'SERVICE_UNAVAILABLE')
            )
              return res;
          } catch {
            // killed mid-request: ask again
          }
        }
        if (attempt > 200) throw new Error(`no replica answered ${query}`);
        await sleep(200);
      }
    };

    const created = await call(
      `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { ... on CreateWebhookPayload { webhook { id } } } }`,
      {
        input: {
          url: `${receiver.origin}/hook`,
          events: [
            'COMMAND_QUEUED',
            'COMMAND_STARTED',
            'COMMAND_SUCCEEDED',
            'COMMAND_CANCELLED',
            'COMMAND_FAILED',
            'COMMAND_LOST',
          ],
        },
      },
    );
    const webhookId = localId(created.body.data.createWebhook.webhook.id);

    // The workload: start a command every so often (under an idempotency key, so a retry after a
    // killed request cannot start it twice), follow some, cancel a few.
    const planned: Planned[] = [];
    const followers: { plan: Planned; followed: Promise<FollowedOutput> }[] = [];
    let working = true;
    const workload = (async () => {
      for (let n = 0; working; n++) {
        const plan: Planned = {
          tag: `k${n}`,
          lines: 10 + Math.floor(random() * 60),
          id: null,
          cancelled: false,
        };
        planned.push(plan);
        const res = await call(
          `mutation($input: RunShellInput!) { runShell(input: $input) { __typename ... on RunCommandPayload { command { id } } ... on Error { code message } } }`,
          {
            input: {
              projectName: 'kappa',
              script: tickingScript(plan.tag, plan.lines, 0.05, marker),
              idempotencyKey: `fault-${SEED}-${plan.tag}`,
            },
          },
        );
        plan.id = res.body.data.runShell.command.id;
        if (random() < 0.3)
          followers.push({ plan, followed: followWithResume(urls, c.adminKey, plan.id!, 180_000) });
        if (random() < 0.15) {
          const victim = planned[Math.floor(random() * planned.length)]!;
          if (victim.id) {
            victim.cancelled = true;
            await call('mutation($id: ID!) { cancelCommand(input: { id: $id }) { __typename } }', {
              id: victim.id,
            });
          }
        }
        await sleep(200 + random() * 600);
      }
    })();

    // The chaos: kill one replica every few seconds, at random with SIGKILL or SIGTERM, and start
    // it again, so that restarts land at every point of the workload.
    const kills: { signal: string; exit: string }[] = [];
    const started = Date.now();
    while (Date.now() - started < CHAOS_MS || kills.length < MIN_KILLS) {
      await sleep(1_500 + random() * 3_000);
      const targets = live();
      const victim = targets[Math.floor(random() * targets.length)] as RdevProcess;
      const signal = random() < 0.5 ? 'SIGKILL' : 'SIGTERM';
      victim.child.kill(signal);
      const exit = await victim.exited;
      kills.push({ signal, exit: exit.signal ?? `exit ${exit.code}` });
      await sleep(random() * 1_000);
      await c.start();
    }
    working = false;
    await workload;

    await until(() => readinessProblems(urls(), 200), 60_000, 'ready');
    expect(live()).toHaveLength(2);
    await until(() => unfinishedCommands(c.sql), 120_000, 'every command to end');

    // SIGTERM drains and exits 0; SIGKILL is a kill.
    for (const k of kills) expect(k.exit).toBe(k.signal === 'SIGTERM' ? 'exit 0' : 'SIGKILL');
    expect(kills.length).toBeGreaterThanOrEqual(MIN_KILLS);

    const { rows: statuses } = await c.sql.query(`SELECT id, status FROM commands`);
    expect(statuses).toHaveLength(planned.length);
    const byId = new Map(statuses.map((r) => [r.id, r.status as string]));
    const expectations = planned.map((p) => {
      const id = localId(p.id!);
      const status = byId.get(id)!;
      // A cancel may come after the end; then the command simply succeeded.
      const expected = p.cancelled && status === 'CANCELLED' ? 'CANCELLED' : 'SUCCEEDED';
      return {
        id,
        status: expected,
        stdout: expected === 'CANCELLED' ? null : expectedTicks(p.tag, p.lines),
      };
    });
    expect(await commandProblems(c.sql, expectations)).toEqual([]);
    // Cancelled ones hold a clean prefix of their output.
    for (const p of planned.filter((x) => byId.get(localId(x.id!)) === 'CANCELLED')) {
      const { rows } = await c.sql.query(
        `SELECT coalesce(string_agg(data, '' ORDER BY seq), '') AS text FROM command_output WHERE command_id = $1 AND stream = 'STDOUT'`,
        [localId(p.id!)],
      );
      expect(expectedTicks(p.tag, p.lines).startsWith(rows[0].text)).toBe(true);
    }
    // Started once each, whatever happened to the replica that started it.
    const starts = readFileSync(marker, 'utf8').trim().split('\n');
    expect(starts.length).toBe(new Set(starts).size);
    expect(new Set(starts)).toEqual(
      new Set(
        planned
          .filter((p) => byId.get(localId(p.id!)) !== 'CANCELLED' || starts.includes(p.tag))
          .map((p) => p.tag),
      ),
    );
    const followed = await Promise.all(followers.map((f) => f.followed));
    const followProblems = followed.flatMap((f, i) => {
      const plan = followers[i]!.plan;
      return followedProblems(
        f,
        byId.get(localId(plan.id!)) === 'CANCELLED' ? null : expectedTicks(plan.tag, plan.lines),
      );
    });
    expect(followProblems).toEqual([]);
    await until(() => webhookProblems(c.sql, webhookId, receiver!), 60_000, 'webhooks');
    console.log(
      `seed ${SEED}: ${planned.length} commands (${planned.filter((p) => p.cancelled).length} cancel requests), ${kills.length} kills (${kills.filter((k) => k.signal === 'SIGKILL').length} SIGKILL), ${followers.length} followers with ${followed.reduce((n, f) => n + f.reconnects, 0)} reconnects, ${receiver.received.length} webhooks for ${new Set(receiver.received.map((r) => r.headers['webhook-id'])).size} messages`,
    );
  });
});
