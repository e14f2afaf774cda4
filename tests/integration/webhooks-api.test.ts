import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresStores } from '../../src/adapters/postgres/postgres-stores.js';
import { PostgresUnitOfWork } from '../../src/adapters/postgres/postgres-unit-of-work.js';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import type { HostResolver } from '../../src/ports/webhook-target-guard.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const DEV = { RDEV_WEBHOOK_ALLOW_PRIVATE: 'true', RDEV_WEBHOOK_POLL_INTERVAL_MS: '50' };

const CREATE = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) {
  __typename
  ... on CreateWebhookPayload { secret webhook { id url events projectNames description enabled } }
  ... on ValidationFailedError { code message issues { path message } }
  ... on Error { code message } } }`;
const DELIVERY_FIELDS = `id messageId eventType status attemptCount body payload lastStatusCode
  webhook { id }
  attempts(first: 10) { edges { node { at manual succeeded statusCode durationMs error responseExcerpt } } }`;
const PING = `mutation($id: ID!) { pingWebhook(input: { id: $id }) {
  __typename ... on PingWebhookPayload { delivery { id messageId status } } ... on Error { code message } } }`;
const DELIVERY = `query($id: ID!) { node(id: $id) { ... on WebhookDelivery { ${DELIVERY_FIELDS} } } }`;

describe('webhooks over GraphQL', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  async function app(env: Record<string, string> = DEV, resolver?: HostResolver): Promise<TestApp> {
    const t = await startTestApp('pglite', env, resolver ? { webhookResolver: resolver } : {});
    closers.push(() => t.close());
    return t;
  }
  async function receiver(handler?: Parameters<typeof startWebhookReceiver>[0]): Promise<WebhookReceiver> {
    const r = await startWebhookReceiver(handler);
    closers.push(() => r.close());
    return r;
  }
  async function settled(t: TestApp, deliveryId: string, status = 'SUCCEEDED') {
    let node: any;
    await expect
      .poll(
        async () => {
          node = (await t.graphql(DELIVERY, { id: deliveryId }, t.auth())).body.data?.node;
          return node?.status;
        },
        { timeout: 10_000, interval: 50 },
      )
      .toBe(status);
    return node;
  }

  it('creates, pings, lists deliveries and attempts, redelivers, rotates, updates and deletes', async () => {
    const t = await app();
    const r = await receiver();

    const created = await t.graphql(
      CREATE,
      {
        input: {
          url: `${r.origin}/rdev`,
          events: ['COMMAND_SUCCEEDED', 'COMMAND_FAILED'],
          description: 'CI',
        },
      },
      t.auth(),
    );
    const payload = created.body.data.createWebhook;
    expect(payload.__typename).toBe('CreateWebhookPayload');
    expect(payload.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(payload.webhook).toMatchObject({
      url: `${r.origin}/rdev`,
      events: ['COMMAND_SUCCEEDED', 'COMMAND_FAILED'],
      projectNames: null,
      description: 'CI',
      enabled: true,
    });
    const { secret } = payload;
    const id = payload.webhook.id;

    const listed = await t.graphql(
      '{ webhooks(first: 10) { edges { node { id url } } pageInfo { hasNextPage } } }',
      {},
      t.auth(),
    );
    expect(listed.body.data.webhooks.edges.map((e: any) => e.node.id)).toEqual([id]);

    // Ping: signed, verifiable with the secret shown once, recorded as a delivery with its attempt.
    const ping = (await t.graphql(PING, { id }, t.auth())).body.data.pingWebhook;
    expect(ping.__typename).toBe('PingWebhookPayload');
    const [got] = await r.waitFor(1);
    expect(got!.headers['webhook-id']).toBe(ping.delivery.messageId);
    expect(new Webhook(secret).verify(got!.body, got!.headers as Record<string, string>)).toMatchObject({
      type: 'webhook.ping',
      data: { webhookId: expect.any(String) },
    });
    const delivery = await settled(t, ping.delivery.id);
    expect(delivery).toMatchObject({
      eventType: 'WEBHOOK_PING',
      attemptCount: 1,
      lastStatusCode: 200,
      webhook: { id },
      body: got!.body.toString(),
    });
    expect(delivery.attempts.edges[0].node).toMatchObject({
      manual: false,
      succeeded: true,
      statusCode: 200,
    });

    const byStatus = `query($id: ID!, $status: WebhookDeliveryStatus) { node(id: $id) { ... on Webhook {
      deliveries(first: 10, filter: { status: $status }) { edges { node { id status } } } } } }`;
    const succeeded = await t.graphql(byStatus, { id, status: 'SUCCEEDED' }, t.auth());
    expect(succeeded.body.data.node.deliveries.edges).toHaveLength(1);
    const failed = await t.graphql(byStatus, { id, status: 'FAILED' }, t.auth());
    expect(failed.body.data.node.deliveries.edges).toHaveLength(0);

    // Redelivery: same message id, a manual attempt.
    const redeliver = await t.graphql(
      `mutation($id: ID!) { redeliverWebhookDelivery(input: { id: $id }) {
        __typename ... on RedeliverWebhookDeliveryPayload { delivery { id status } } ... on Error { code } } }`,
      { id: ping.delivery.id },
      t.auth(),
    );
    expect(redeliver.body.data.redeliverWebhookDelivery.__typename).toBe('RedeliverWebhookDeliveryPayload');
    await r.waitFor(2);
    expect(r.received[1]!.headers['webhook-id']).toBe(r.received[0]!.headers['webhook-id']);
    expect(r.received[1]!.body).toEqual(r.received[0]!.body);
    await expect
      .poll(
        async () =>
          (await t.graphql(DELIVERY, { id: ping.delivery.id }, t.auth())).body.data.node.attemptCount,
        {
          timeout: 10_000,
        },
      )
      .toBe(2);
    const again = (await t.graphql(DELIVERY, { id: ping.delivery.id }, t.auth())).body.data.node;
    expect(again.attempts.edges.map((e: any) => e.node.manual)).toEqual([true, false]);

    // Rotation: both secrets sign during the overlap.
    const rotated = await t.graphql(
      `mutation($id: ID!) { rotateWebhookSecret(input: { id: $id, overlapSeconds: 600 }) {
        __typename ... on RotateWebhookSecretPayload { secret webhook { previousSecretExpiresAt } } } }`,
      { id },
      t.auth(),
    );
    const newSecret = rotated.body.data.rotateWebhookSecret.secret;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(secret);
    expect(rotated.body.data.rotateWebhookSecret.webhook.previousSecretExpiresAt).not.toBeNull();
    await t.graphql(PING, { id }, t.auth());
    const [, , third] = await r.waitFor(3);
    expect(String(third!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const s of [secret, newSecret])
      new Webhook(s).verify(third!.body, third!.headers as Record<string, string>);

    // Update, including a refused URL.
    const UPDATE = `mutation($input: UpdateWebhookInput!) { updateWebhook(input: $input) {
      __typename ... on UpdateWebhookPayload { webhook { events projectNames description enabled } }
      ... on ValidationFailedError { code issues { path message } } ... on Error { code } } }`;
    const updated = await t.graphql(
      UPDATE,
      {
        input: {
          id,
          events: ['PROJECT_REMOVED'],
          projectNames: ['alpha'],
          description: null,
          enabled: false,
        },
      },
      t.auth(),
    );
    expect(updated.body.data.updateWebhook).toEqual({
      __typename: 'UpdateWebhookPayload',
      webhook: { events: ['PROJECT_REMOVED'], projectNames: ['alpha'], description: null, enabled: false },
    });
    const refused = await t.graphql(
      UPDATE,
      { input: { id, url: 'http://169.254.169.254/latest' } },
      t.auth(),
    );
    expect(refused.body.data.updateWebhook).toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [{ path: 'url' }],
    });
    const disabledPing = (await t.graphql(PING, { id }, t.auth())).body.data.pingWebhook;
    expect(disabledPing).toMatchObject({ __typename: 'ValidationFailedError', code: 'VALIDATION_FAILED' });

    // Delete.
    const DELETE = `mutation($id: ID!) { deleteWebhook(input: { id: $id }) {
      __typename ... on DeleteWebhookPayload { deletedId } ... on Error { code } } }`;
    expect((await t.graphql(DELETE, { id }, t.auth())).body.data.deleteWebhook).toEqual({
      __typename: 'DeleteWebhookPayload',
      deletedId: id,
    });
    expect((await t.graphql(DELETE, { id }, t.auth())).body.data.deleteWebhook).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(
      (await t.graphql('query($id: ID!) { node(id: $id) { id } }', { id }, t.auth())).body.data.node,
    ).toBeNull();

    // Every change left an audit row; no secret reached the audit log or the logs.
    const audit = await t.database.db
      .selectFrom('audit_events')
      .select(['action', 'details'])
      .where('target_type', 'in', ['Webhook', 'WebhookDelivery'])
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'webhook.create',
      'webhook.ping',
      'webhook_delivery.redeliver',
      'webhook.rotate_secret',
      'webhook.ping',
      'webhook.update',
      'webhook.delete',
    ]);
    const everything = JSON.stringify(audit) + t.logs.join('');
    for (const s of [secret, newSecret]) expect(everything).not.toContain(s.slice('whsec_'.length));
  });

  it('refuses internal targets in every encoding with VALIDATION_FAILED, without connecting', async () => {
    const dns: Record<string, string> = {
      'internal.example.com': '127.0.0.1',
      'metadata.example.com': '169.254.169.254',
      'public.example.com': '93.184.216.34',
    };
    const t = await app({}, async (host) => {
      const address = dns[host];
      if (!address) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
      return [{ address, family: 4 }];
    });
    const r = await receiver();
    const p = r.port;
    const urls = [
      `http://127.0.0.1:${p}/`,
      `http://2130706433:${p}/`,
      `http://0x7f000001:${p}/`,
      `http://0177.0.0.1:${p}/`,
      `http://127.1:${p}/`,
      `http://0x7f.0.0.1:${p}/`,
      `http://[::1]:${p}/`,
      `http://[::ffff:127.0.0.1]:${p}/`,
      `http://[::ffff:7f00:1]:${p}/`,
      `http://[0:0:0:0:0:ffff:7f00:1]:${p}/`,
      `http://localhost:${p}/`,
      `http://LocalHost.:${p}/`,
      `http://0:${p}/`,
      `http://internal.example.com:${p}/`,
      'http://metadata.example.com/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://10.0.0.8/',
      'http://192.168.0.1/',
      'http://100.100.100.200/',
      'http://224.0.0.251/',
      'http://kubernetes.default.svc/',
      'http://rdev.rdev.svc.cluster.local/',
      'http://metadata.google.internal/',
      'http://redis:6379/',
      `ftp://public.example.com:${p}/`,
      'file:///etc/passwd',
      `http://user:pass@public.example.com:${p}/`,
    ];
    for (const url of urls) {
      const res = await t.graphql(CREATE, { input: { url, events: ['COMMAND_FAILED'] } }, t.auth());
      expect(res.body.data?.createWebhook, url).toMatchObject({
        __typename: 'ValidationFailedError',
        code: 'VALIDATION_FAILED',
        issues: [{ path: 'url' }],
      });
    }
    expect(r.connections()).toBe(0);
    // A public name is accepted (and nothing is sent until an event arrives).
    const ok = await t.graphql(
      CREATE,
      { input: { url: 'https://public.example.com/hook', events: ['COMMAND_FAILED'] } },
      t.auth(),
    );
    expect(ok.body.data.createWebhook.__typename).toBe('CreateWebhookPayload');
    const listed = await t.graphql('{ webhooks { edges { node { url } } } }', {}, t.auth());
    expect(listed.body.data.webhooks.edges).toEqual([{ node: { url: 'https://public.example.com/hook' } }]);
  });

  it('needs webhooks:manage, and keeps project-limited keys to their projects', async () => {
    const t = await app();
    const r = await receiver();
    const anonymous = await t.graphql('{ webhooks { edges { node { id } } } }');
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const reader = await t.createKey({ scopes: ['PROJECTS_READ'] });
    const denied = await t.graphql('{ webhooks { edges { node { id } } } }', {}, t.auth(reader.key));
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const deniedCreate = await t.graphql(
      CREATE,
      { input: { url: r.origin, events: ['COMMAND_FAILED'] } },
      t.auth(reader.key),
    );
    expect(deniedCreate.body.data.createWebhook).toMatchObject({
      __typename: 'ForbiddenError',
      code: 'FORBIDDEN',
    });

    const everywhere = (
      await t.graphql(CREATE, { input: { url: r.origin, events: ['COMMAND_FAILED'] } }, t.auth())
    ).body.data.createWebhook.webhook.id;
    const alpha = await t.createKey({ scopes: ['WEBHOOKS_MANAGE'], projectNames: ['alpha'] });
    const unfiltered = await t.graphql(
      CREATE,
      { input: { url: r.origin, events: ['COMMAND_FAILED'] } },
      t.auth(alpha.key),
    );
    expect(unfiltered.body.data.createWebhook).toMatchObject({ __typename: 'ForbiddenError' });
    const other = await t.graphql(
      CREATE,
      { input: { url: r.origin, events: ['COMMAND_FAILED'], projectNames: ['beta'] } },
      t.auth(alpha.key),
    );
    expect(other.body.data.createWebhook).toMatchObject({ __typename: 'ForbiddenError' });
    const own = await t.graphql(
      CREATE,
      { input: { url: r.origin, events: ['COMMAND_FAILED'], projectNames: ['alpha'] } },
      t.auth(alpha.key),
    );
    const ownId = own.body.data.createWebhook.webhook.id;
    const visible = await t.graphql('{ webhooks { edges { node { id } } } }', {}, t.auth(alpha.key));
    expect(visible.body.data.webhooks.edges.map((e: any) => e.node.id)).toEqual([ownId]);
    const hidden = await t.graphql(PING, { id: everywhere }, t.auth(alpha.key));
    expect(hidden.body.data.pingWebhook).toMatchObject({ __typename: 'NotFoundError' });
    const node = await t.graphql(
      'query($id: ID!) { node(id: $id) { id } }',
      { id: everywhere },
      t.auth(alpha.key),
    );
    expect(node.body.data.node).toBeNull();
    const admin = await t.graphql('{ webhooks { edges { node { id } } } }', {}, t.auth());
    expect(admin.body.data.webhooks.edges).toHaveLength(2);
  });

  it('delivers what a unit of work commits and nothing of what it rolls back', async () => {
    const t = await app();
    const r = await receiver();
    await t.graphql(CREATE, { input: { url: r.origin, events: ['COMMAND_SUCCEEDED'] } }, t.auth());
    const uow = new PostgresUnitOfWork(t.app.database.db, createPostgresStores);
    await expect(
      uow.run(async ({ webhooks }) => {
        await webhooks.enqueue({
          type: 'command.succeeded',
          projectName: 'demo',
          data: { commandId: 'rolled-back' },
        });
        throw new Error('the status change failed');
      }),
    ).rejects.toThrow('the status change failed');
    await uow.run(({ webhooks }) =>
      webhooks.enqueue({ type: 'command.succeeded', projectName: 'demo', data: { commandId: 'committed' } }),
    );
    const [got] = await r.waitFor(1);
    expect(JSON.parse(got!.body.toString()).data).toEqual({ commandId: 'committed' });
    const events = await t.database.db.selectFrom('webhook_events').select('body').execute();
    expect(events).toHaveLength(1);
    await expect.poll(async () => (await t.app.metrics.webhookDeliveries.get()).values[0]?.value).toBe(1);
    expect(r.received).toHaveLength(1);
  });

  it('finishes the attempt in flight when the app stops, and claims nothing more', async () => {
    const t = await app();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const r = await receiver(async (_req, res) => {
      await held;
      res.end('late but fine');
    });
    const created = await t.graphql(
      CREATE,
      { input: { url: r.origin, events: ['COMMAND_FAILED'] } },
      t.auth(),
    );
    const id = created.body.data.createWebhook.webhook.id;
    await t.graphql(PING, { id }, t.auth());
    await r.waitFor(1);
    const stopped = t.app.stop();
    setTimeout(release, 200);
    await stopped;
    // The attempt in flight was recorded before stop() returned; after it nothing is claimed.
    await new PostgresUnitOfWork(t.database.db, createPostgresStores).run(({ webhooks }) =>
      webhooks.enqueue({ type: 'command.failed', data: {} }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const rows = await t.database.db
      .selectFrom('webhook_deliveries')
      .select(['status', 'attempt_count'])
      .orderBy('created_at')
      .execute();
    expect(rows).toEqual([
      { status: 'SUCCEEDED', attempt_count: 1 },
      { status: 'PENDING', attempt_count: 0 },
    ]);
    expect(r.received).toHaveLength(1);
  });

  it('sends after a restart what was committed before the API went down', async () => {
    // The first app commits the event but never sends it (its worker is off), then goes away.
    const first = await app({ ...DEV, RDEV_WEBHOOK_WORKER: 'false' });
    const r = await receiver();
    const created = await first.graphql(
      CREATE,
      { input: { url: r.origin, events: ['COMMAND_FAILED'] } },
      first.auth(),
    );
    const id = created.body.data.createWebhook.webhook.id;
    const ping = (await first.graphql(PING, { id }, first.auth())).body.data.pingWebhook;
    await first.app.stop();
    expect(r.received).toHaveLength(0);

    const second = await createApp(loadConfig({ PORT: '0', NODE_ENV: 'test', ...DEV }), {
      database: first.database,
      logger: createLogger({ level: 'silent' }),
    });
    await second.start();
    closers.push(() => second.stop());
    const [got] = await r.waitFor(1);
    expect(got!.headers['webhook-id']).toBe(ping.delivery.messageId);
  });
});
