import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CommandTestApp,
  collectOutput,
  joinStdout,
  startCommandApp,
} from '../support/command-test-app.js';
import {
  commandProblems,
  expectedTicks,
  localId,
  queryable,
  readyStatus,
  sleep,
  tickingScript,
  until,
  webhookProblems,
} from '../support/fault-checks.js';
import { POSTGRES_URL } from '../support/test-databases.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const LINES = 150;

/**
 * While commands run in a pod, the Kubernetes API drops every exec stream again and again, then
 * answers 500 to everything, then hangs, then drops its watches. Commands live in the pod, so
 * they go on; rdev must follow them to the end through all of it.
 */
describe('the Kubernetes API failing, hanging and dropping streams mid-command', () => {
  let t: CommandTestApp | undefined;
  let receiver: WebhookReceiver | undefined;
  let loading = false;
  afterAll(async () => {
    loading = false;
    if (t?.fake) {
      t.fake.faults.http500 = false;
      t.fake.faults.hang = false;
    }
    await t?.close();
    await receiver?.close();
  });

  it('follows every command to its end with all its output, never answers 500, and recovers on its own', async () => {
    receiver = await startWebhookReceiver();
    t = await startCommandApp(
      'kubernetes',
      {
        RDEV_KUBE_API_TIMEOUT_MS: '1000',
        RDEV_KUBE_BREAKER_FAILURES: '3',
        RDEV_KUBE_BREAKER_OPEN_MS: '1000',
        RDEV_PROJECT_RESYNC_MS: '2000',
        RDEV_RATE_LIMIT_PER_KEY: '1000000',
        RDEV_WEBHOOK_ALLOW_PRIVATE: 'true',
        RDEV_WEBHOOK_RETRY_SCHEDULE: '500ms,1s,2s,3s,5s',
        RDEV_WEBHOOK_POLL_INTERVAL_MS: '200',
      },
      { projectSettings: 'max_concurrent_commands: 8', database: POSTGRES_URL ? 'postgres' : 'pglite' },
    );
    const app = t;
    const fake = app.fake!;
    const marker = join(app.workspace, 'starts');
    const { createWebhook } = await app.gql(
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
    const webhookId = localId(createWebhook.webhook.id);

    const answers: { status: number; codes: string[]; stale?: boolean }[] = [];
    loading = true;
    const load = (async () => {
      while (loading) {
        try {
          const { status, body } = await app.graphql(
            '{ runtimeStatus { stale circuitState } projects { stale edges { node { name status } } } queue { projects { queued running } } }',
            {},
            app.auth(),
          );
          answers.push({
            status,
            codes: (body.errors ?? []).map((e: any) => e.extensions?.code),
            stale: body.data?.projects?.stale,
          });
        } catch (error) {
          if (loading) answers.push({ status: 0, codes: [String(error)] });
        }
        await sleep(100);
      }
    })();

    const client = app.wsClient();
    const tags = ['a', 'b', 'c', 'd'];
    const ids: string[] = [];
    for (const tag of tags)
      ids.push((await app.runShell({ script: tickingScript(tag, LINES, 0.05, marker) })).id);
    const watched = ids.map((id) => collectOutput(client, id));

    // Exec streams cut again and again, mid-output.
    await sleep(800);
    for (let i = 0; i < 8; i++) {
      fake.faults.dropExecSockets();
      await sleep(300);
    }
    // Everything fails with 500: the breaker opens; a command asked for now waits.
    fake.faults.http500 = true;
    await sleep(500);
    const queuedDuringOutage = await app.runShell({ script: tickingScript('e', 20, 0.01, marker) });
    tags.push('e');
    ids.push(queuedDuringOutage.id);
    await sleep(3_000);
    fake.faults.http500 = false;
    // Then nothing answers at all.
    await sleep(1_000);
    fake.faults.hang = true;
    await sleep(3_000);
    fake.faults.hang = false;
    // And the watches drop.
    for (let i = 0; i < 3; i++) {
      fake.faults.dropWatches();
      await sleep(200);
    }

    await until(async () => (await readyStatus(app.url)) === 200, 30_000, 'ready');
    for (const id of ids) await app.waitForEnd(id, 90_000);
    let lastStatus: unknown = null;
    await until(
      async () => {
        const { runtimeStatus } = await app.gql(
          '{ runtimeStatus { stale circuitState lastError lastSyncedAt } }',
        );
        lastStatus = runtimeStatus;
        return !runtimeStatus.stale && runtimeStatus.circuitState === 'CLOSED';
      },
      30_000,
      'a fresh project list and a closed breaker',
    ).catch((error) => {
      throw new Error(`${error.message}: ${JSON.stringify(lastStatus)}`);
    });
    loading = false;
    await load;

    const sql = queryable(app.database);
    const expected = tags.map((tag, i) => ({
      id: localId(ids[i]!),
      status: 'SUCCEEDED',
      stdout: expectedTicks(tag, tag === 'e' ? 20 : LINES),
    }));
    expect(await commandProblems(sql, expected)).toEqual([]);
    const seen = await Promise.all(watched);
    for (const [i, events] of seen.entries()) {
      expect(joinStdout(events)).toBe(expectedTicks(tags[i]!, LINES));
      expect(events.filter((e) => e.end)).toHaveLength(1);
    }
    expect(readFileSync(marker, 'utf8').trim().split('\n').sort()).toEqual(tags);
    await until(() => webhookProblems(sql, webhookId, receiver!), 30_000, 'webhooks');
    // The project list was served throughout: from cache (stale) while the API failed.
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    expect(answers.some((a) => a.stale === true)).toBe(true);
    expect(answers.filter((a) => a.stale === undefined && a.codes.length === 0)).toEqual([]);
    expect(answers.flatMap((a) => a.codes).filter((c) => c === 'INTERNAL_SERVER_ERROR')).toEqual([]);
    expect(app.logs.join('')).not.toMatch(/unhandled error|Unexpected error/);
    await sql.close();
  });
});
