import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { DATABASE_KINDS } from '../support/test-databases.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

describe.each(DATABASE_KINDS)('project webhooks on %s', (kind) => {
  let t: TestApp | undefined;
  let receiver: WebhookReceiver | undefined;
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await t?.close();
    await receiver?.close();
    t = undefined;
  });

  it('reports a project appearing and going once, even when two replicas see it', async () => {
    const workspaces = mkdtempSync(join(tmpdir(), 'rdev-pw-'));
    mkdirSync(join(workspaces, 'first'));
    cleanups.push(() => rmSync(workspaces, { recursive: true, force: true }));
    const env = {
      RDEV_WORKSPACES_DIR: workspaces,
      RDEV_LOCAL_RESCAN_MS: '200',
      RDEV_WEBHOOK_ALLOW_PRIVATE: 'true',
      RDEV_WEBHOOK_POLL_INTERVAL_MS: '50',
    };
    t = await startTestApp(kind, env);
    // A second replica on the same database watching the same folders.
    const replica = await createApp(loadConfig({ ...env, PORT: '0', NODE_ENV: 'test' }), {
      database: t.database,
      logger: createLogger({ level: 'silent' }),
    });
    await replica.start();
    cleanups.push(() => replica.stop());
    receiver = await startWebhookReceiver();
    const created = await t.graphql(
      `mutation($url: String!) { createWebhook(input: { url: $url, events: [PROJECT_DISCOVERED, PROJECT_REMOVED] }) {
        __typename } }`,
      { url: `${receiver.origin}/hook` },
      t.auth(),
    );
    expect(created.body.data.createWebhook.__typename).toBe('CreateWebhookPayload');

    mkdirSync(join(workspaces, 'second'));
    const [discovered] = await receiver.waitFor(1, 15_000);
    const body = JSON.parse(discovered!.body.toString());
    expect(body).toMatchObject({ type: 'project.discovered', data: { name: 'second', status: 'RUNNING' } });

    rmSync(join(workspaces, 'second'), { recursive: true });
    const all = await receiver.waitFor(2, 15_000);
    expect(JSON.parse(all[1]!.body.toString())).toMatchObject({
      type: 'project.removed',
      data: { name: 'second' },
    });
    // Both replicas saw both changes; give a duplicate time to show up.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(receiver.received.map((r) => JSON.parse(r.body.toString()).type)).toEqual([
      'project.discovered',
      'project.removed',
    ]);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(2);
  });
});
