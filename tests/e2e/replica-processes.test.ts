import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RdevProcess } from '../support/rdev-process.js';
import { type ReplicaCluster, startReplicaCluster } from '../support/replicas.js';
import { until } from '../support/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * The promises that several replicas share state, kept by two real `rdev serve` processes on one
 * PostgreSQL database: nothing in memory is shared, as in production. The in-process versions of
 * these tests (api-key-replicas, project-webhooks, webhook-replicas, the rate-limit store
 * contract) stay for speed and detail; this is the check that the real composition keeps them.
 */
describe('two rdev processes on one database', () => {
  let c: ReplicaCluster;
  let receiver: WebhookReceiver;
  let a: RdevProcess;
  let b: RdevProcess;
  // High enough for the admin key's own requests in the other tests; each test key goes past it.
  const RATE_LIMIT = 40;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    c = await startReplicaCluster({
      count: 2,
      projects: { demo: {} },
      env: {
        RDEV_AUTH_CACHE_TTL_MS: '1000',
        RDEV_RATE_LIMIT_PER_KEY: String(RATE_LIMIT),
        RDEV_RATE_LIMIT_WINDOW_SECONDS: '3600',
        RDEV_WEBHOOK_ALLOW_PRIVATE: 'true',
        RDEV_WEBHOOK_POLL_INTERVAL_MS: '50',
        RDEV_LOCAL_RESCAN_MS: '200',
        RDEV_DISPATCH_INTERVAL_MS: '200',
      },
    });
    [a, b] = c.replicas as [RdevProcess, RdevProcess];
  }, 120_000);
  afterAll(async () => {
    await c?.close();
    await receiver?.close();
  });

  const createKey = async (scopes: string[]) => {
    const { body } = await c.graphql(
      a,
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
        ... on CreateApiKeyPayload { secret apiKey { id } } ... on Error { code message } } }`,
      { input: { name: `key-${scopes.join('-')}-${Date.now()}`, scopes } },
    );
    const created = body.data.createApiKey;
    if (!created.secret) throw new Error(JSON.stringify(body));
    return { key: created.secret as string, id: created.apiKey.id as string };
  };

  it('stops a key revoked on one process on the other once its cache entry lapses', async () => {
    const { key, id } = await createKey(['PROJECTS_READ']);
    const viaB = async () => (await c.graphql(b, '{ viewer { scopes } }', {}, key)).status;
    expect(await viaB()).toBe(200); // cached on b now
    const { body } = await c.graphql(
      a,
      'mutation($id: ID!) { revokeApiKey(input: { id: $id }) { __typename } }',
      {
        id,
      },
    );
    expect(body.data.revokeApiKey.__typename).toBe('RevokeApiKeyPayload');
    await until(
      async () => (await viaB()) === 401,
      15_000,
      'the revoked key to be refused by the other process',
    );
  });

  it('counts one key against one limit, whichever process its requests reach', async () => {
    const allowedOf = async (replicas: RdevProcess[]) => {
      const { key } = await createKey(['PROJECTS_READ']);
      let allowed = 0;
      for (let i = 0; i < RATE_LIMIT + 10; i++) {
        const { status } = await c.graphql(replicas[i % replicas.length]!, '{ viewer { scopes } }', {}, key);
        expect([200, 429]).toContain(status);
        if (status === 200) allowed++;
      }
      return allowed;
    };
    const alone = await allowedOf([a]);
    expect(alone).toBeGreaterThan(0);
    expect(alone).toBeLessThan(RATE_LIMIT + 10);
    // Alternating between the two: the same number gets through, not twice as many.
    expect(await allowedOf([a, b])).toBe(alone);
  });

  it('sends each command event once, and a project appearing once, though both processes see them', async () => {
    const { body } = await c.graphql(
      a,
      `mutation($url: String!) { createWebhook(input: { url: $url, events: [COMMAND_SUCCEEDED, PROJECT_DISCOVERED] }) {
        __typename ... on Error { message } } }`,
      { url: `${receiver.origin}/hook` },
    );
    expect(body.data.createWebhook.__typename).toBe('CreateWebhookPayload');
    const RUNS = 12;
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { body: run } = await c.graphql(
        i % 2 === 0 ? a : b,
        `mutation($input: RunShellInput!) { runShell(input: $input) {
          ... on RunCommandPayload { command { id } } ... on Error { code message } } }`,
        { input: { projectName: 'demo', argv: ['echo', String(i)] } },
      );
      ids.push(run.data.runShell.command.id);
    }
    mkdirSync(join(c.workspaces, 'appeared'));
    try {
      await receiver.waitFor(RUNS + 1, 60_000);
      // Every delivery has ended (nothing left to retry or send twice) before counting.
      await until(
        async () => {
          const { rows } = await c.sql.query(
            `SELECT count(*)::int AS n FROM webhook_deliveries WHERE status <> 'SUCCEEDED'`,
          );
          return rows[0].n === 0;
        },
        30_000,
        'every delivery to succeed',
      );
      const events = receiver.received.map((r) => JSON.parse(r.body.toString()));
      const succeeded = events.filter((e) => e.type === 'command.succeeded').map((e) => e.data.id);
      expect(succeeded).toHaveLength(RUNS);
      expect(new Set(succeeded).size).toBe(RUNS);
      const discovered = events.filter((e) => e.type === 'project.discovered');
      expect(discovered.map((e) => e.data.name)).toEqual(['appeared']);
      const webhookIds = receiver.received.map((r) => String(r.headers['webhook-id']));
      expect(new Set(webhookIds).size).toBe(webhookIds.length);
      const { rows } = await c.sql.query('SELECT count(*)::int AS n FROM webhook_attempts');
      expect(rows[0].n).toBe(RUNS + 1);
    } finally {
      rmSync(join(c.workspaces, 'appeared'), { recursive: true, force: true });
    }
  });
});
