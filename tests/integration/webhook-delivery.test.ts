import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/test-databases.js';
import { useWebhookSuite } from '../support/webhook-suite.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe.each(DATABASE_KINDS)('webhook delivery on %s', (kind) => {
  const { receiver, harness } = useWebhookSuite(kind);

  it('sends bodies that the standardwebhooks package verifies against the exact received bytes', async () => {
    const h = await harness();
    const r = await receiver();
    const { webhook, secret } = await h.webhooks.create(h.admin, {
      url: `${r.origin}/hooks/rdev?team=a`,
      events: ['command.succeeded'],
    });
    const queued = await h.enqueue({
      type: 'command.succeeded',
      projectName: 'demo',
      data: { commandId: 'c-1', note: 'ünïcödé \u2028 "quoted" </script>' },
    });
    const [report] = await h.delivery.deliverDue(10);
    expect(report).toMatchObject({ outcome: 'succeeded', statusCode: 200, webhookId: webhook.id });

    const [got] = r.received;
    expect(got!.path).toBe('/hooks/rdev?team=a');
    expect(got!.headers['content-type']).toBe('application/json');
    expect(got!.headers['webhook-id']).toBe(queued.messageId);
    const verified = new Webhook(secret).verify(got!.body, got!.headers as Record<string, string>);
    expect(verified).toEqual({
      type: 'command.succeeded',
      timestamp: expect.any(String),
      data: { commandId: 'c-1', note: 'ünïcödé \u2028 "quoted" </script>' },
    });
    // One flipped byte and the signature no longer holds.
    const tampered = Buffer.from(got!.body);
    const at = tampered.length - 2;
    tampered[at] = tampered[at]! ^ 1;
    expect(() => new Webhook(secret).verify(tampered, got!.headers as Record<string, string>)).toThrow();

    const [delivery] = (await h.webhooks.listDeliveries(h.admin, webhook.id, {}, {})).items;
    expect(delivery).toMatchObject({
      status: 'SUCCEEDED',
      attemptCount: 1,
      lastStatusCode: 200,
      nextAttemptAt: null,
    });
    expect(Buffer.from(delivery!.body)).toEqual(got!.body);
    const [attempt] = (await h.webhooks.listAttempts(h.admin, delivery!.id, {})).items;
    expect(attempt).toMatchObject({
      succeeded: true,
      statusCode: 200,
      manual: false,
      responseExcerpt: 'ok',
      error: null,
    });
  });

  it('500, 500, 200: three attempts on the retry schedule with one id and one body, then succeeded', async () => {
    // The clock starts in the past so the third attempt's timestamp is current for verification.
    const h = await harness({ startAt: Date.now() - 5.5 * SECOND - 330 * SECOND });
    const r = await receiver((_req, res, n) => {
      res.statusCode = n < 3 ? 500 : 200;
      res.end(n < 3 ? 'try again' : 'thanks');
    });
    const { webhook, secret } = await h.webhooks.create(h.admin, {
      url: `${r.origin}/`,
      events: ['command.failed'],
    });
    await h.enqueue({ type: 'command.failed', projectName: 'demo', data: { commandId: 'c-2', exitCode: 1 } });
    const t0 = h.now();

    expect((await h.delivery.deliverDue(10)).map((a) => a.outcome)).toEqual(['retrying']);
    // jitter source 0.75 with ±20 %: each delay is the schedule's plus 10 %
    let [delivery] = (await h.webhooks.listDeliveries(h.admin, webhook.id, {}, {})).items;
    expect(delivery).toMatchObject({
      status: 'PENDING',
      attemptCount: 1,
      lastStatusCode: 500,
      lastError: 'HTTP 500',
    });
    expect(delivery!.nextAttemptAt).toEqual(new Date(t0 + 5.5 * SECOND));

    h.advance(5.5 * SECOND - 1);
    expect(await h.delivery.deliverDue(10)).toEqual([]);
    h.advance(1);
    expect((await h.delivery.deliverDue(10)).map((a) => a.outcome)).toEqual(['retrying']);
    [delivery] = (await h.webhooks.listDeliveries(h.admin, webhook.id, {}, {})).items;
    expect(delivery!.nextAttemptAt).toEqual(new Date(t0 + 5.5 * SECOND + 330 * SECOND));

    h.advance(330 * SECOND - 1);
    expect(await h.delivery.deliverDue(10)).toEqual([]);
    h.advance(1);
    expect((await h.delivery.deliverDue(10)).map((a) => a.outcome)).toEqual(['succeeded']);
    expect(await h.delivery.deliverDue(10)).toEqual([]);

    expect(r.received).toHaveLength(3);
    const ids = r.received.map((q) => q.headers['webhook-id']);
    expect(new Set(ids).size).toBe(1);
    const timestamps = r.received.map((q) => Number(q.headers['webhook-timestamp']));
    expect(timestamps).toEqual([
      Math.floor(t0 / 1000),
      Math.floor((t0 + 5.5 * SECOND) / 1000),
      Math.floor((t0 + 335.5 * SECOND) / 1000),
    ]);
    expect(r.received[1]!.body).toEqual(r.received[0]!.body);
    expect(r.received[2]!.body).toEqual(r.received[0]!.body);
    // Every attempt is signed over its own timestamp and the same bytes.
    for (const q of r.received) {
      const expected = new Webhook(secret).sign(
        String(ids[0]),
        new Date(Number(q.headers['webhook-timestamp']) * 1000),
        q.body,
      );
      expect(q.headers['webhook-signature']).toBe(expected);
    }
    new Webhook(secret).verify(r.received[2]!.body, r.received[2]!.headers as Record<string, string>);

    [delivery] = (await h.webhooks.listDeliveries(h.admin, webhook.id, { status: 'SUCCEEDED' }, {})).items;
    expect(delivery).toMatchObject({ status: 'SUCCEEDED', attemptCount: 3, nextAttemptAt: null });
    const attempts = (await h.webhooks.listAttempts(h.admin, delivery!.id, {})).items;
    expect(attempts.map((a) => [a.statusCode, a.succeeded, a.responseExcerpt])).toEqual([
      [200, true, 'thanks'],
      [500, false, 'try again'],
      [500, false, 'try again'],
    ]);
    expect(attempts.map((a) => a.at.getTime())).toEqual([t0 + 335.5 * SECOND, t0 + 5.5 * SECOND, t0]);
  });

  it('gives up after the last scheduled retry', async () => {
    const h = await harness({ scheduleMs: [SECOND, SECOND] });
    const r = await receiver((_req, res) => {
      res.statusCode = 502;
      res.end();
    });
    const { webhook } = await h.webhooks.create(h.admin, { url: r.origin, events: ['command.lost'] });
    await h.enqueue({ type: 'command.lost', data: {} });
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      outcomes.push(...(await h.delivery.deliverDue(10)).map((a) => a.outcome));
      h.advance(2 * SECOND);
    }
    expect(outcomes).toEqual(['retrying', 'retrying', 'failed']);
    const [delivery] = (await h.webhooks.listDeliveries(h.admin, webhook.id, { status: 'FAILED' }, {})).items;
    expect(delivery).toMatchObject({ attemptCount: 3, nextAttemptAt: null, lastStatusCode: 502 });
  });

  it('honours Retry-After on 429 and 503, within its bound', async () => {
    const h = await harness();
    const r = await receiver((_req, res, n) => {
      res.statusCode = n === 1 ? 429 : 503;
      res.setHeader('retry-after', n === 1 ? '120' : '999999');
      res.end();
    });
    const { webhook } = await h.webhooks.create(h.admin, { url: r.origin, events: ['command.queued'] });
    await h.enqueue({ type: 'command.queued', data: {} });
    const t0 = h.now();
    await h.delivery.deliverDue(10);
    let [delivery] = (await h.webhooks.listDeliveries(h.admin, webhook.id, {}, {})).items;
    expect(delivery!.nextAttemptAt).toEqual(new Date(t0 + 120 * SECOND));
    h.advance(120 * SECOND);
    await h.delivery.deliverDue(10);
    [delivery] = (await h.webhooks.listDeliveries(h.admin, webhook.id, {}, {})).items;
    // Asked for 11.5 days; the bound is one hour.
    expect(delivery!.nextAttemptAt).toEqual(new Date(h.now() + 60 * MINUTE));
  });

  it('disables the endpoint on 410 Gone, with an audit row, and sends it nothing more', async () => {
    const h = await harness();
    const r = await receiver((_req, res) => {
      res.statusCode = 410;
      res.end('gone');
    });
    const { webhook } = await h.webhooks.create(h.admin, { url: r.origin, events: ['project.removed'] });
    await h.enqueue({ type: 'project.removed', projectName: 'old', data: {} });
    const [report] = await h.delivery.deliverDue(10);
    expect(report).toMatchObject({
      outcome: 'failed',
      statusCode: 410,
      disabledReason: 'the endpoint answered 410 Gone',
    });
    expect(await h.stores.webhookStore.get(webhook.id)).toMatchObject({
      enabled: false,
      disabledReason: 'the endpoint answered 410 Gone',
    });
    const audit = await h.stores.audit.list({ action: 'webhook.disable' }, { first: 5 });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({ actorComponent: 'webhook-delivery', targetId: webhook.id });

    // Disabled webhooks are not fanned out to, and their waiting deliveries are not claimed.
    expect((await h.enqueue({ type: 'project.removed', data: {} })).deliveries).toBe(0);
    h.advance(60 * MINUTE);
    expect(await h.delivery.deliverDue(10)).toEqual([]);
    expect(r.received).toHaveLength(1);
  });

  it('disables an endpoint that has failed continuously for the configured period', async () => {
    const h = await harness({ scheduleMs: Array(7).fill(10 * MINUTE), disableAfterMs: 30 * MINUTE });
    const r = await receiver((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    const { webhook } = await h.webhooks.create(h.admin, { url: r.origin, events: ['command.failed'] });
    await h.enqueue({ type: 'command.failed', data: {} });
    const reports = [];
    for (let i = 0; i < 4; i++) {
      reports.push(...(await h.delivery.deliverDue(10)));
      h.advance(11 * MINUTE);
    }
    // Failing since the first attempt; the fourth, 33 minutes later, is past the 30 minutes.
    expect(reports.map((x) => x.disabledReason)).toEqual([
      null,
      null,
      null,
      expect.stringMatching(/every attempt failed/),
    ]);
    expect((await h.stores.webhookStore.get(webhook.id))?.enabled).toBe(false);
    const audit = await h.stores.audit.list(
      { action: 'webhook.disable', targetId: webhook.id },
      { first: 5 },
    );
    expect(audit.items).toHaveLength(1);
    expect(await h.delivery.deliverDue(10)).toEqual([]);

    // Enabling it again clears the failure run and the waiting delivery resumes.
    await h.webhooks.update(h.admin, { id: webhook.id, enabled: true });
    expect((await h.stores.webhookStore.get(webhook.id))?.failingSince).toBeNull();
    expect(await h.delivery.deliverDue(10)).toHaveLength(1);
  });

  it('redelivers with the same webhook-id as a manual attempt', async () => {
    const h = await harness();
    const r = await receiver();
    const { webhook, secret } = await h.webhooks.create(h.admin, {
      url: r.origin,
      events: ['command.cancelled'],
    });
    await h.enqueue({ type: 'command.cancelled', data: { commandId: 'c-9' } });
    await h.delivery.deliverDue(10);
    const [delivery] = (await h.webhooks.listDeliveries(h.admin, webhook.id, {}, {})).items;

    h.advance(MINUTE);
    const requested = await h.webhooks.redeliver(h.admin, delivery!.id);
    expect(requested).toMatchObject({ status: 'PENDING', nextAttemptAt: h.clock() });
    const [report] = await h.delivery.deliverDue(10);
    expect(report).toMatchObject({ manual: true, outcome: 'succeeded' });
    expect(r.received).toHaveLength(2);
    expect(r.received[1]!.headers['webhook-id']).toBe(r.received[0]!.headers['webhook-id']);
    expect(r.received[1]!.body).toEqual(r.received[0]!.body);
    new Webhook(secret).verify(r.received[1]!.body, r.received[1]!.headers as Record<string, string>);
    const attempts = (await h.webhooks.listAttempts(h.admin, delivery!.id, {})).items;
    expect(attempts.map((a) => a.manual)).toEqual([true, false]);
    const audit = await h.stores.audit.list({ action: 'webhook_delivery.redeliver' }, { first: 5 });
    expect(audit.items[0]).toMatchObject({ targetId: delivery!.id, actorKeyId: h.admin.keyId });
  });

  it('signs with both secrets while a rotation overlaps, then with the new one only', async () => {
    const h = await harness();
    const r = await receiver();
    const { webhook, secret: oldSecret } = await h.webhooks.create(h.admin, {
      url: r.origin,
      events: ['webhook.ping'],
    });
    const { secret: newSecret } = await h.webhooks.rotateSecret(h.admin, {
      id: webhook.id,
      overlapSeconds: 3600,
    });
    expect(newSecret).not.toBe(oldSecret);
    await h.webhooks.ping(h.admin, webhook.id);
    await h.delivery.deliverDue(10);
    const first = r.received[0]!;
    expect(String(first.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [oldSecret, newSecret]) {
      new Webhook(secret).verify(first.body, first.headers as Record<string, string>);
    }
    h.advance(3600 * SECOND);
    await h.webhooks.ping(h.admin, webhook.id);
    await h.delivery.deliverDue(10);
    const second = r.received[1]!;
    expect(String(second.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(JSON.parse(second.body.toString())).toMatchObject({
      type: 'webhook.ping',
      data: { webhookId: webhook.id },
    });
    const sig = new Webhook(newSecret).sign(
      String(second.headers['webhook-id']),
      new Date(Number(second.headers['webhook-timestamp']) * 1000),
      second.body,
    );
    expect(second.headers['webhook-signature']).toBe(sig);
  });
});
