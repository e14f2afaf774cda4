import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyText } from '../../src/domain/api-key-text.js';
import {
  commandProblems,
  expectedTicks,
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
import {
  PRIVATE_POSTGRES_AVAILABLE,
  type PrivatePostgres,
  startPrivatePostgres,
} from '../support/private-postgres.js';
import { type RdevProcess, startRdev } from '../support/rdev-process.js';
import { killRunGroups } from '../support/runtime-harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const PAUSE_MS = 10_000;
const LEASE_MS = 3_000;

/**
 * The database hangs rather than dies: its processes are stopped (SIGSTOP) for longer than a
 * lease while two replicas stream four commands to subscribers, serve queries and send
 * webhooks, then resumed (SIGCONT).
 */
describe.runIf(PRIVATE_POSTGRES_AVAILABLE || process.env.CI)('PostgreSQL paused under load', () => {
  let server: PrivatePostgres | undefined;
  let receiver: WebhookReceiver | undefined;
  let sql: pg.Pool | undefined;
  const replicas: RdevProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'rdev-pgpause-'));
  const workspace = join(dir, 'ws', 'omega');

  afterAll(async () => {
    for (const r of replicas) r.child.kill('SIGKILL');
    await sql?.end();
    await receiver?.close();
    server?.destroy();
    killRunGroups(workspace);
    rmSync(dir, { recursive: true, force: true });
  });

  it('recovers on its own: no lost output or webhook, one end per command, no 500, audit complete', async () => {
    server = await startPrivatePostgres();
    receiver = await startWebhookReceiver();
    mkdirSync(workspace, { recursive: true });
    writeFileSync(join(dir, 'ws', 'rdev-projects.yaml'), 'omega:\n  max_concurrent_commands: 6\n');
    const marker = join(dir, 'starts');
    const adminKey = generateKeyText();
    const env = {
      DATABASE_URL: server.url,
      RDEV_WORKSPACES_DIR: join(dir, 'ws'),
      RDEV_BOOTSTRAP_ADMIN_KEY: adminKey,
      RDEV_LEASE_TTL_MS: String(LEASE_MS),
      RDEV_WEBHOOK_ALLOW_PRIVATE: 'true',
      RDEV_WEBHOOK_RETRY_SCHEDULE: '500ms,1s,2s,3s,5s,5s,5s,5s,5s',
      RDEV_WEBHOOK_POLL_INTERVAL_MS: '200',
      RDEV_LOG_LEVEL: 'error',
    };
    replicas.push(await startRdev({ ...env, RDEV_DATA_DIR: join(dir, 'd0') }));
    replicas.push(await startRdev({ ...env, RDEV_DATA_DIR: join(dir, 'd1') }));
    const urls = () => replicas.map((r) => r.url);
    const gql = async (url: string, query: string, variables: Record<string, unknown> = {}) => {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(60_000),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const hook = await gql(
      urls()[0]!,
      `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { ... on CreateWebhookPayload { webhook { id } } } }`,
      {
        input: {
          url: `${receiver.origin}/hook`,
          events: [
            'COMMAND_QUEUED',
            'COMMAND_STARTED',
            'COMMAND_SUCCEEDED',
            'COMMAND_FAILED',
            'COMMAND_LOST',
          ],
        },
      },
    );
    const webhookId = Buffer.from(hook.body.data.createWebhook.webhook.id, 'base64')
      .toString()
      .split(':')[1]!;

    // Load: queries on both replicas the whole time, recording every answer.
    const answers: { status: number; ms: number; at: number; code?: string }[] = [];
    let loading = true;
    const loader = async (n: number) => {
      for (let i = n; loading; i++) {
        const started = Date.now();
        try {
          const { status, body } = await gql(
            urls()[i % 2]!,
            '{ serverInfo { version } commands(first: 5) { edges { node { id status } } } }',
          );
          answers.push({
            status,
            ms: Date.now() - started,
            at: started,
            code: body.errors?.[0]?.extensions?.code,
          });
        } catch {
          answers.push({ status: 0, ms: Date.now() - started, at: started });
        }
        await sleep(50);
      }
    };
    const load = Promise.all([0, 1, 2, 3, 4, 5].map(loader));

    const tags = ['a', 'b', 'c', 'd'];
    const ids: string[] = [];
    for (const [i, tag] of tags.entries()) {
      const { body } = await gql(
        urls()[i % 2]!,
        `mutation($s: String!) { runShell(input: { projectName: "omega", script: $s }) { ... on RunCommandPayload { command { id } } } }`,
        { s: tickingScript(tag, 120, 0.1, marker) },
      );
      ids.push(body.data.runShell.command.id);
    }
    const followers = ids.map((id) => followWithResume(urls, adminKey, id, 120_000));
    await sleep(3_000);

    const pausedAt = Date.now();
    server.pause();
    await until(() => readinessProblems(urls(), 503), 15_000, 'not ready');
    await sleep(PAUSE_MS - (Date.now() - pausedAt));
    server.resume();
    const resumedAt = Date.now();
    await until(() => readinessProblems(urls(), 200), 60_000, 'ready again');

    sql = new pg.Pool({ connectionString: server.url, max: 2 });
    const pool = sql;
    await until(() => unfinishedCommands(pool), 90_000, 'every command to end');
    // The service works as before: a new command runs and ends.
    const after = await gql(
      urls()[1]!,
      `mutation { runShell(input: { projectName: "omega", argv: ["echo", "after"] }) { ... on RunCommandPayload { command { id } } } }`,
    );
    const afterId = localId(after.body.data.runShell.command.id);
    await until(
      async () =>
        (await pool.query(`SELECT status FROM commands WHERE id = $1`, [afterId])).rows[0]?.status ===
        'SUCCEEDED',
      30_000,
      'the new command',
    );
    loading = false;
    await load;

    const expectations = ids.map((id, i) => ({
      id: localId(id),
      status: 'SUCCEEDED',
      stdout: expectedTicks(tags[i]!, 120),
    }));
    expectations.push({ id: afterId, status: 'SUCCEEDED', stdout: 'after\n' });
    expect(await commandProblems(pool, expectations)).toEqual([]);
    const followed = await Promise.all(followers);
    expect(followed.flatMap((f, i) => followedProblems(f, expectedTicks(tags[i]!, 120)))).toEqual([]);
    // Each command started once, however often its lease changed hands.
    expect(readFileSync(marker, 'utf8').trim().split('\n').sort()).toEqual(tags);
    await until(() => webhookProblems(pool, webhookId, receiver!), 60_000, 'webhooks');
    expect(await webhookProblems(pool, webhookId, receiver)).toEqual([]);
    // No request failed with a 500; while paused, they waited or failed as SERVICE_UNAVAILABLE.
    expect(answers.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);
    expect(answers.filter((a) => a.status === 0)).toEqual([]);
    const codes = new Set(answers.flatMap((a) => (a.code ? [a.code] : [])));
    expect([...codes].filter((c) => c !== 'SERVICE_UNAVAILABLE')).toEqual([]);
    const during = answers.filter((a) => a.at >= pausedAt && a.at < resumedAt);
    console.log(
      `paused ${resumedAt - pausedAt} ms; ${answers.length} requests, ${during.length} during the pause, slowest ${Math.max(...answers.map((a) => a.ms))} ms; statuses ${JSON.stringify(countBy(answers.map((a) => a.status)))}; subscriber reconnects ${followed.map((f) => f.reconnects).join(',')}`,
    );
  });
});

function countBy(values: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
