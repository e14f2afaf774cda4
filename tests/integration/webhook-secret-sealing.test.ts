import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/test-databases.js';
import { useWebhookSuite } from '../support/webhook-suite.js';

describe.each(DATABASE_KINDS)('webhook signing secrets sealed at rest on %s', (kind) => {
  const { database, receiver, harness } = useWebhookSuite(kind);
  const stored = async () =>
    (
      await sql<{ secret: string }>`SELECT secret FROM webhook_secrets ORDER BY id`.execute(database().db)
    ).rows.map((r) => r.secret);

  it('stores secrets sealed, signs with them in clear, and keeps using secrets stored before the key', async () => {
    const r = await receiver();
    // A webhook made while secrets were stored in clear.
    const before = harness();
    const { webhook: old, secret: oldSecret } = await before.webhooks.create(before.admin, {
      url: `${r.origin}/old`,
      events: ['command.succeeded'],
    });
    expect(await stored()).toEqual([oldSecret]);

    const key = randomBytes(32);
    const h = harness({ secretKey: key });
    const { webhook, secret } = await h.webhooks.create(h.admin, {
      url: `${r.origin}/new`,
      events: ['command.succeeded'],
    });
    const rows = await stored();
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatch(/^rdev-sealed:v1:/);
    expect(rows[1]).not.toContain(secret.slice('whsec_'.length));

    await h.webhooks.ping(h.admin, webhook.id);
    await h.webhooks.ping(h.admin, old.id);
    await h.delivery.deliverDue(10);
    const [toNew, toOld] = ['/new', '/old'].map((path) => r.received.find((got) => got.path === path)!);
    new StandardWebhook(secret).verify(toNew!.body, toNew!.headers as Record<string, string>);
    new StandardWebhook(oldSecret).verify(toOld!.body, toOld!.headers as Record<string, string>);

    // A rotation seals the new secret; both keep signing through the overlap.
    const { secret: rotated } = await h.webhooks.rotateSecret(h.admin, { id: old.id, overlapSeconds: 3600 });
    expect((await stored()).filter((s) => s.startsWith('rdev-sealed:v1:'))).toHaveLength(2);
    await h.webhooks.ping(h.admin, old.id);
    await h.delivery.deliverDue(10);
    const last = r.received.at(-1)!;
    for (const s of [oldSecret, rotated]) {
      new StandardWebhook(s).verify(last.body, last.headers as Record<string, string>);
    }
  });

  it('sends nothing, and says why, when a sealed secret cannot be opened with the configured key', async () => {
    const r = await receiver();
    const h = harness({ secretKey: randomBytes(32) });
    const { webhook } = await h.webhooks.create(h.admin, {
      url: `${r.origin}/`,
      events: ['command.succeeded'],
    });
    for (const other of [harness({ secretKey: randomBytes(32) }), harness()]) {
      await other.webhooks.ping(other.admin, webhook.id);
      const [report] = await other.delivery.deliverDue(10);
      expect(report).toMatchObject({ outcome: 'retrying', statusCode: null });
      expect(report!.error).toMatch(/cannot use the signing secret: .*RDEV_WEBHOOK_SECRET_KEY/);
    }
    expect(r.received).toHaveLength(0);
  });
});
