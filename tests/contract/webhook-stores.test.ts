import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { beforeEach, describe, expect, it } from 'vitest';
import { createPostgresStores } from '../../src/adapters/postgres/postgres-stores.js';
import { PostgresUnitOfWork } from '../../src/adapters/postgres/postgres-unit-of-work.js';
import { PostgresWebhookDeliveryStore } from '../../src/adapters/postgres/postgres-webhook-delivery-store.js';
import { PostgresWebhookOutbox } from '../../src/adapters/postgres/postgres-webhook-outbox.js';
import { PostgresWebhookStore } from '../../src/adapters/postgres/postgres-webhook-store.js';
import type { NewWebhook } from '../../src/domain/webhook.js';
import { generateWebhookSecret } from '../../src/domain/webhook-secret.js';
import { DATABASE_KINDS, type TestDatabase, useSharedDatabase } from '../support/test-databases.js';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

function newWebhook(over: Partial<NewWebhook> = {}): NewWebhook {
  return {
    id: randomUUID(),
    url: 'https://hooks.example.com/rdev',
    events: ['command.succeeded', 'command.failed'],
    projectNames: null,
    description: null,
    sendTraceContext: false,
    createdByKeyId: null,
    ...over,
  };
}

describe.each(DATABASE_KINDS)('webhook stores on %s', (kind) => {
  let database: TestDatabase;
  let webhooks: PostgresWebhookStore;
  let deliveries: PostgresWebhookDeliveryStore;
  let outbox: PostgresWebhookOutbox;
  const shared = useSharedDatabase(kind);
  beforeEach(() => {
    database = shared();
    webhooks = new PostgresWebhookStore(database.db);
    deliveries = new PostgresWebhookDeliveryStore(database.db);
    outbox = new PostgresWebhookOutbox(database.db, () => T0);
  });

  it('creates, pages, filters by project grant, updates and deletes webhooks', async () => {
    const made = [];
    for (let i = 0; i < 4; i++) {
      made.push(
        await webhooks.create(
          newWebhook({ projectNames: i % 2 === 0 ? ['alpha'] : null, description: `w${i}` }),
          generateWebhookSecret(),
          at(i),
        ),
      );
    }
    const first = await webhooks.list({ withinProjects: null }, { first: 3 });
    expect(first.items.map((w) => w.description)).toEqual(['w3', 'w2', 'w1']);
    expect(first.hasNextPage).toBe(true);
    const rest = await webhooks.list({ withinProjects: null }, { first: 3, after: first.cursors[2] });
    expect(rest.items.map((w) => w.description)).toEqual(['w0']);
    expect(rest.hasNextPage).toBe(false);
    const limited = await webhooks.list({ withinProjects: ['alpha', 'beta'] }, { first: 10 });
    expect(limited.items.map((w) => w.description)).toEqual(['w2', 'w0']);
    expect((await webhooks.list({ withinProjects: ['beta'] }, { first: 10 })).items).toEqual([]);

    const target = made[1]!;
    const disabled = await webhooks.update(target.id, { enabled: false, description: null }, at(10));
    expect(disabled).toMatchObject({ enabled: false, description: null, events: target.events });
    await webhooks.recordFailure(target.id, at(11));
    const reenabled = await webhooks.update(target.id, { enabled: true, projectNames: ['x'] }, at(12));
    expect(reenabled).toMatchObject({
      enabled: true,
      failingSince: null,
      disabledAt: null,
      projectNames: ['x'],
    });
    expect(await webhooks.update(randomUUID(), { enabled: true }, at(13))).toBeNull();
    expect(await webhooks.get('not-a-uuid')).toBeNull();

    expect(await webhooks.delete(target.id)).toBe(true);
    expect(await webhooks.delete(target.id)).toBe(false);
    expect(await webhooks.get(target.id)).toBeNull();
  });

  it('rotates secrets: both sign during the overlap, then only the new one', async () => {
    const oldSecret = generateWebhookSecret();
    const webhook = await webhooks.create(newWebhook(), oldSecret, at(0));
    expect(await webhooks.activeSecrets(webhook.id, at(1))).toEqual([oldSecret]);
    expect(webhook.previousSecretExpiresAt).toBeNull();

    const newSecret = generateWebhookSecret();
    const rotated = await webhooks.rotateSecret(webhook.id, newSecret, at(1000), at(61_000));
    expect(rotated?.previousSecretExpiresAt).toEqual(at(61_000));
    expect(await webhooks.activeSecrets(webhook.id, at(2000))).toEqual([newSecret, oldSecret]);
    expect(await webhooks.activeSecrets(webhook.id, at(61_000))).toEqual([newSecret]);

    // Rotating again at once ends every older secret immediately and drops the expired one.
    const third = generateWebhookSecret();
    await webhooks.rotateSecret(webhook.id, third, at(70_000), at(70_000));
    expect(await webhooks.activeSecrets(webhook.id, at(70_001))).toEqual([third]);
    const stored = await database.db.selectFrom('webhook_secrets').select('secret').execute();
    expect(stored.map((s) => s.secret).sort()).toEqual([newSecret, third].sort());
  });

  it('tracks the failure run and disables with a reason', async () => {
    const webhook = await webhooks.create(newWebhook(), generateWebhookSecret(), at(0));
    expect((await webhooks.recordFailure(webhook.id, at(5)))?.failingSince).toEqual(at(5));
    expect((await webhooks.recordFailure(webhook.id, at(9)))?.failingSince).toEqual(at(5));
    await webhooks.recordSuccess(webhook.id);
    expect((await webhooks.get(webhook.id))?.failingSince).toBeNull();
    await webhooks.recordSuccess(webhook.id);
    expect((await webhooks.recordFailure(webhook.id, at(12)))?.failingSince).toEqual(at(12));
    const disabled = await webhooks.disable(webhook.id, 'the endpoint answered 410 Gone', at(20));
    expect(disabled).toMatchObject({
      enabled: false,
      disabledReason: 'the endpoint answered 410 Gone',
      disabledAt: at(20),
    });
  });

  it('fans an event out to each enabled webhook that wants its type and project', async () => {
    const all = await webhooks.create(newWebhook(), generateWebhookSecret(), at(0));
    const alpha = await webhooks.create(
      newWebhook({ projectNames: ['alpha'] }),
      generateWebhookSecret(),
      at(1),
    );
    const otherType = await webhooks.create(
      newWebhook({ events: ['project.removed'] }),
      generateWebhookSecret(),
      at(2),
    );
    const off = await webhooks.create(newWebhook(), generateWebhookSecret(), at(3));
    await webhooks.update(off.id, { enabled: false }, at(4));

    const forAlpha = await outbox.enqueue({
      type: 'command.succeeded',
      projectName: 'alpha',
      data: { commandId: 'c1' },
    });
    expect(forAlpha.deliveries).toBe(2);
    expect(forAlpha.messageId).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
    const forBeta = await outbox.enqueue({ type: 'command.succeeded', projectName: 'beta', data: {} });
    expect(forBeta.deliveries).toBe(1);
    const noProject = await outbox.enqueue({ type: 'command.failed', data: {} });
    expect(noProject.deliveries).toBe(1);
    const nobody = await outbox.enqueue({ type: 'command.queued', projectName: 'alpha', data: {} });
    expect(nobody).toEqual({ messageId: null, deliveries: 0 });

    const events = await database.db.selectFrom('webhook_events').selectAll().orderBy('id').execute();
    expect(events).toHaveLength(3);
    expect(events[0]!.body).toBe(
      '{"type":"command.succeeded","timestamp":"2030-01-01T00:00:00.000Z","data":{"commandId":"c1"}}',
    );
    const count = async (id: string) => (await deliveries.listForWebhook(id, {}, { first: 10 })).items.length;
    expect(await count(all.id)).toBe(3);
    expect(await count(alpha.id)).toBe(1);
    expect(await count(otherType.id)).toBe(0);
    expect(await count(off.id)).toBe(0);
    const [delivery] = (await deliveries.listForWebhook(alpha.id, {}, { first: 10 })).items;
    expect(delivery).toMatchObject({
      messageId: forAlpha.messageId,
      eventType: 'command.succeeded',
      projectName: 'alpha',
      status: 'PENDING',
      attemptCount: 0,
      nextAttemptAt: T0,
      body: events[0]!.body,
    });
    expect(await deliveries.countPending()).toBe(4);
  });

  it('commits outbox writes with the unit of work and loses them when it rolls back', async () => {
    await webhooks.create(newWebhook(), generateWebhookSecret(), at(0));
    const uow = new PostgresUnitOfWork(database.db, createPostgresStores);
    await expect(
      uow.run(async (stores) => {
        await stores.webhooks.enqueue({ type: 'command.failed', data: { n: 1 } });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await deliveries.countPending()).toBe(0);
    await uow.run((stores) => stores.webhooks.enqueue({ type: 'command.failed', data: { n: 2 } }));
    expect(await deliveries.countPending()).toBe(1);
  });

  it('renews claims for their holder only, and a claim nobody renews is due the moment it ends', async () => {
    await webhooks.create(newWebhook(), generateWebhookSecret(), at(0));
    await outbox.enqueue({ type: 'command.failed', data: { n: 1 } });
    await outbox.enqueue({ type: 'command.failed', data: { n: 2 } });
    const [a, b] = await deliveries.claimDue(at(0), 10, at(3_000));
    const ref = (c: typeof a) => ({ deliveryId: c!.delivery.id, claimToken: c!.claimToken });
    // Renewed before it ran out, `a` stays out of every claim; `b`, not renewed, is due at 3 s.
    expect(await deliveries.renewClaims([ref(a)], at(5_000))).toEqual([a!.delivery.id]);
    expect(await deliveries.claimDue(at(2_999), 10, at(6_000))).toEqual([]);
    const retaken = await deliveries.claimDue(at(3_000), 10, at(6_000));
    expect(retaken.map((c) => c.delivery.id)).toEqual([b!.delivery.id]);
    expect(retaken[0]).toMatchObject({ failedAutomaticAttempts: 0 });
    // The first holder of `b` lost it: its renewal keeps nothing.
    expect(await deliveries.renewClaims([ref(a), ref(b)], at(8_000))).toEqual([a!.delivery.id]);
    expect(await deliveries.get(b!.delivery.id)).toMatchObject({ attemptCount: 0, nextAttemptAt: at(6_000) });
  });

  it('claims due deliveries once, expires lost claims, and records attempts only for the holder', async () => {
    const webhook = await webhooks.create(newWebhook(), generateWebhookSecret(), at(0));
    await outbox.enqueue({ type: 'command.failed', data: { n: 1 } });
    await outbox.enqueue({ type: 'command.failed', data: { n: 2 } });

    expect(await deliveries.claimDue(at(-1), 10, at(60_000))).toEqual([]);
    const claimed = await deliveries.claimDue(at(0), 10, at(60_000));
    expect(claimed).toHaveLength(2);
    expect(claimed[0]).toMatchObject({ url: webhook.url, manual: false, failedAutomaticAttempts: 0 });
    expect(claimed[0]!.secrets).toHaveLength(1);
    expect(await deliveries.claimDue(at(1000), 10, at(61_000))).toEqual([]);

    const first = claimed[0]!;
    const [recorded] = await deliveries.recordAttempts([
      {
        deliveryId: first.delivery.id,
        claimToken: first.claimToken,
        attempt: {
          at: at(2000),
          manual: false,
          succeeded: false,
          statusCode: 500,
          durationMs: 12,
          error: 'HTTP 500\u0000',
          responseExcerpt: 'oops\u0000',
        },
        status: 'PENDING',
        nextAttemptAt: at(300_000),
        failedAutomaticAttempts: 1,
      },
    ]);
    expect(recorded).toBe(true);
    const after = await deliveries.get(first.delivery.id);
    expect(after).toMatchObject({ attemptCount: 1, lastStatusCode: 500, nextAttemptAt: at(300_000) });

    // The second claim was never recorded: once it expires another worker takes it, and the
    // first holder can no longer move the delivery.
    const second = claimed[1]!;
    const retaken = await deliveries.claimDue(at(60_000), 10, at(120_000));
    expect(retaken.map((c) => c.delivery.id)).toEqual([second.delivery.id]);
    const [stale] = await deliveries.recordAttempts([
      {
        deliveryId: second.delivery.id,
        claimToken: second.claimToken,
        attempt: {
          at: at(60_001),
          manual: false,
          succeeded: true,
          statusCode: 200,
          durationMs: 1,
          error: null,
          responseExcerpt: '',
        },
        status: 'SUCCEEDED',
        nextAttemptAt: null,
        failedAutomaticAttempts: 0,
      },
    ]);
    expect(stale).toBe(false);
    expect((await deliveries.get(second.delivery.id))?.status).toBe('PENDING');
    const attempts = await deliveries.listAttempts(second.delivery.id, { first: 10 });
    expect(attempts.items).toHaveLength(1);

    const firstAttempts = await deliveries.listAttempts(first.delivery.id, { first: 10 });
    expect(firstAttempts.items[0]).toMatchObject({
      statusCode: 500,
      error: 'HTTP 500\uFFFD',
      responseExcerpt: 'oops\uFFFD',
    });
  });

  it('records a batch of attempts in one call, one answer each, and hands back unsent claims', async () => {
    const webhook = await webhooks.create(newWebhook(), generateWebhookSecret(), at(0));
    for (let i = 0; i < 4; i++) await outbox.enqueue({ type: 'command.failed', data: { i } });
    const [a, b, c, d] = await deliveries.claimDue(at(0), 10, at(60_000));
    await webhooks.recordFailure(webhook.id, at(1));
    const attempt = (ms: number, succeeded: boolean) => ({
      at: at(ms),
      manual: false,
      succeeded,
      statusCode: succeeded ? 200 : 500,
      durationMs: 1,
      error: succeeded ? null : 'HTTP 500',
      responseExcerpt: '',
    });
    const result = (claim: typeof a, ok: boolean, token = claim!.claimToken) => ({
      deliveryId: claim!.delivery.id,
      claimToken: token,
      attempt: attempt(10, ok),
      status: ok ? ('SUCCEEDED' as const) : ('PENDING' as const),
      nextAttemptAt: ok ? null : at(5_000),
      failedAutomaticAttempts: ok ? 0 : 1,
    });
    // A claim lost meanwhile is answered false; the others move on.
    expect(await deliveries.recordAttempts([result(a, false), result(b, true, randomUUID())])).toEqual([
      true,
      false,
    ]);
    expect(await deliveries.get(a!.delivery.id)).toMatchObject({
      status: 'PENDING',
      nextAttemptAt: at(5_000),
    });
    expect(await deliveries.get(b!.delivery.id)).toMatchObject({ status: 'PENDING', attemptCount: 0 });
    expect((await webhooks.get(webhook.id))?.failingSince).toEqual(at(1));

    // Successes end the webhook's failure run in the same statement.
    expect(await deliveries.recordSuccesses([result(c, true)])).toEqual([true]);
    expect(await deliveries.get(c!.delivery.id)).toMatchObject({ status: 'SUCCEEDED', attemptCount: 1 });
    expect((await webhooks.get(webhook.id))?.failingSince).toBeNull();
    await expect(deliveries.recordSuccesses([result(d, false)])).rejects.toThrow();

    // Claims handed back are due at once, for anyone; a stale token changes nothing.
    await deliveries.releaseClaims(
      [
        { deliveryId: b!.delivery.id, claimToken: randomUUID() },
        { deliveryId: d!.delivery.id, claimToken: d!.claimToken },
      ],
      at(20),
    );
    const again = await deliveries.claimDue(at(20), 10, at(60_000));
    expect(again.map((x) => x.delivery.id)).toEqual([d!.delivery.id]);
  });

  it('does not claim deliveries of disabled webhooks', async () => {
    const webhook = await webhooks.create(newWebhook(), generateWebhookSecret(), at(0));
    await outbox.enqueue({ type: 'command.failed', data: {} });
    await webhooks.disable(webhook.id, 'test', at(1));
    expect(await deliveries.claimDue(at(10), 10, at(60_000))).toEqual([]);
    expect(await deliveries.countPending()).toBe(0);
    await webhooks.update(webhook.id, { enabled: true }, at(2));
    expect(await deliveries.claimDue(at(10), 10, at(60_000))).toHaveLength(1);
  });

  it('never hands one delivery to two concurrent claims', async () => {
    await webhooks.create(newWebhook(), generateWebhookSecret(), at(0));
    for (let i = 0; i < 60; i++) await outbox.enqueue({ type: 'command.failed', data: { i } });
    const claims = await Promise.all(
      Array.from({ length: 6 }, () => deliveries.claimDue(at(0), 15, at(60_000))),
    );
    const ids = claims.flat().map((c) => c.delivery.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(60);
  });

  it('filters deliveries by status and redelivers on request, refusing while an attempt is in flight', async () => {
    const webhook = await webhooks.create(newWebhook(), generateWebhookSecret(), at(0));
    await outbox.enqueue({ type: 'command.failed', data: {} });
    const [claim] = await deliveries.claimDue(at(0), 1, at(60_000));
    expect(await deliveries.requestRedelivery(claim!.delivery.id, at(10))).toBe('in_flight');
    await deliveries.recordAttempts([
      {
        deliveryId: claim!.delivery.id,
        claimToken: claim!.claimToken,
        attempt: {
          at: at(20),
          manual: false,
          succeeded: true,
          statusCode: 204,
          durationMs: 3,
          error: null,
          responseExcerpt: '',
        },
        status: 'SUCCEEDED',
        nextAttemptAt: null,
        failedAutomaticAttempts: 0,
      },
    ]);
    expect((await deliveries.listForWebhook(webhook.id, { status: 'PENDING' }, { first: 5 })).items).toEqual(
      [],
    );
    expect(
      (await deliveries.listForWebhook(webhook.id, { status: 'SUCCEEDED' }, { first: 5 })).items,
    ).toHaveLength(1);

    const again = await deliveries.requestRedelivery(claim!.delivery.id, at(30));
    expect(again).toMatchObject({ status: 'PENDING', nextAttemptAt: at(30) });
    const [manual] = await deliveries.claimDue(at(30), 1, at(60_000));
    expect(manual).toMatchObject({ manual: true, resumeAfterManual: false });
    expect(manual!.delivery.messageId).toBe(claim!.delivery.messageId);
    expect(await deliveries.requestRedelivery(randomUUID(), at(30))).toBeNull();
  });

  it('deletes a webhook with its deliveries and attempts', async () => {
    const webhook = await webhooks.create(newWebhook(), generateWebhookSecret(), at(0));
    await outbox.enqueue({ type: 'command.failed', data: {} });
    await webhooks.delete(webhook.id);
    const left = await sql<{ n: number }>`SELECT count(*)::int AS n FROM webhook_deliveries`.execute(
      database.db,
    );
    expect(left.rows[0]!.n).toBe(0);
  });

  it('lets an attempt finish quietly when its webhook was deleted meanwhile', async () => {
    const webhook = await webhooks.create(newWebhook(), generateWebhookSecret(), at(0));
    await outbox.enqueue({ type: 'command.failed', data: {} });
    const [claim] = await deliveries.claimDue(at(0), 1, at(60_000));
    await webhooks.delete(webhook.id);
    const [recorded] = await deliveries.recordAttempts([
      {
        deliveryId: claim!.delivery.id,
        claimToken: claim!.claimToken,
        attempt: {
          at: at(5),
          manual: false,
          succeeded: true,
          statusCode: 200,
          durationMs: 2,
          error: null,
          responseExcerpt: '',
        },
        status: 'SUCCEEDED',
        nextAttemptAt: null,
        failedAutomaticAttempts: 0,
      },
    ]);
    expect(recorded).toBe(false);
    expect(await webhooks.recordFailure(webhook.id, at(5))).toBeNull();
    await webhooks.recordSuccess(webhook.id);
  });

  it('pings one webhook whatever it subscribed to', async () => {
    const webhook = await webhooks.create(
      newWebhook({ events: ['project.removed'] }),
      generateWebhookSecret(),
      at(0),
    );
    const delivery = await outbox.enqueueFor(webhook.id, {
      type: 'webhook.ping',
      data: { webhookId: webhook.id },
    });
    expect(delivery).toMatchObject({ webhookId: webhook.id, eventType: 'webhook.ping', status: 'PENDING' });
    expect(JSON.parse(delivery.body)).toEqual({
      type: 'webhook.ping',
      timestamp: T0.toISOString(),
      data: { webhookId: webhook.id },
    });
  });
});
