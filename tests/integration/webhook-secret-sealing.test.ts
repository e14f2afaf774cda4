import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { DATABASE_KINDS } from '../support/test-databases.js';
import type { WebhookReceiver } from '../support/webhook-receiver.js';
import { useWebhookSuite } from '../support/webhook-suite.js';

/** Verifies the last request each path received against the secret the webhook was given. */
function expectSignedWith(r: WebhookReceiver, secrets: Record<string, string>) {
  for (const [path, secret] of Object.entries(secrets)) {
    const got = r.received.filter((g) => g.path === path).at(-1);
    expect(got, `nothing reached ${path}`).toBeDefined();
    new StandardWebhook(secret).verify(got!.body, got!.headers as Record<string, string>);
  }
}

describe.each(DATABASE_KINDS)('webhook signing secrets sealed at rest on %s', (kind) => {
  const { database, receiver, harness, defer } = useWebhookSuite(kind);
  const stored = async () =>
    (
      await sql<{ secret: string }>`SELECT secret FROM webhook_secrets ORDER BY id`.execute(database().db)
    ).rows.map((r) => r.secret);

  it('stores secrets sealed, signs with them in clear, and keeps using secrets stored before the key', async () => {
    const r = await receiver();
    // A webhook made while secrets were stored in clear.
    const before = await harness();
    const { webhook: old, secret: oldSecret } = await before.webhooks.create(before.admin, {
      url: `${r.origin}/old`,
      events: ['command.succeeded'],
    });
    expect(await stored()).toEqual([oldSecret]);

    const key = randomBytes(32);
    const h = await harness({ secretKey: key });
    const { webhook, secret } = await h.webhooks.create(h.admin, {
      url: `${r.origin}/new`,
      events: ['command.succeeded'],
    });
    // The new secret is stored sealed, and starting with the key sealed the one stored in clear.
    const rows = await stored();
    expect(rows).toHaveLength(2);
    expect(rows.every((s) => s.startsWith('rdev-sealed:v1:'))).toBe(true);
    for (const s of [secret, oldSecret]) expect(rows.join('\n')).not.toContain(s.slice('whsec_'.length));

    await h.webhooks.ping(h.admin, webhook.id);
    await h.webhooks.ping(h.admin, old.id);
    await h.delivery.deliverDue(10);
    const [toNew, toOld] = ['/new', '/old'].map((path) => r.received.find((got) => got.path === path)!);
    new StandardWebhook(secret).verify(toNew!.body, toNew!.headers as Record<string, string>);
    new StandardWebhook(oldSecret).verify(toOld!.body, toOld!.headers as Record<string, string>);

    // A rotation seals the new secret; both keep signing through the overlap.
    const { secret: rotated } = await h.webhooks.rotateSecret(h.admin, { id: old.id, overlapSeconds: 3600 });
    expect((await stored()).filter((s) => s.startsWith('rdev-sealed:v1:'))).toHaveLength(3);
    await h.webhooks.ping(h.admin, old.id);
    await h.delivery.deliverDue(10);
    const last = r.received.at(-1)!;
    for (const s of [oldSecret, rotated]) {
      new StandardWebhook(s).verify(last.body, last.headers as Record<string, string>);
    }
  });

  it('sends nothing, and says why, when a sealed secret cannot be opened with the configured key', async () => {
    const r = await receiver();
    const h = await harness({ secretKey: randomBytes(32) });
    const { webhook } = await h.webhooks.create(h.admin, {
      url: `${r.origin}/`,
      events: ['command.succeeded'],
    });
    for (const other of [await harness({ secretKey: randomBytes(32) }), await harness()]) {
      await other.webhooks.ping(other.admin, webhook.id);
      const [report] = await other.delivery.deliverDue(10);
      expect(report).toMatchObject({ outcome: 'retrying', statusCode: null });
      expect(report!.error).toMatch(/cannot use the signing secret: .*RDEV_WEBHOOK_SECRET_KEY/);
    }
    expect(r.received).toHaveLength(0);
  });

  it('re-seals with a new key what the previous key or no key sealed, signing with the same secrets throughout', async () => {
    const r = await receiver();
    const [keyA, keyB, unknown] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const made = async (h: Awaited<ReturnType<typeof harness>>, path: string) => {
      const { webhook, secret } = await h.webhooks.create(h.admin, {
        url: `${r.origin}${path}`,
        events: ['command.succeeded'],
      });
      return { id: webhook.id, secret, path };
    };
    const clear = await made(await harness(), '/clear');
    const sealedA = await made(await harness({ secretKey: keyA }), '/a');
    const lost = await made(await harness({ secretKey: unknown }), '/lost');
    const lostStored = (await stored())[2]!;

    // The key changes from A to B, with A kept as the previous key: everything still signs.
    const during = await harness({ secretKey: keyB, previousSecretKey: keyA });
    const pingAll = async (h: Awaited<ReturnType<typeof harness>>) => {
      for (const w of [clear, sealedA]) await h.webhooks.ping(h.admin, w.id);
      await h.delivery.deliverDue(10);
    };
    await pingAll(during);
    expectSignedWith(r, { '/clear': clear.secret, '/a': sealedA.secret });

    // Its start re-sealed with B the two that A (or no key) sealed; the lost one stays as it was.
    expect(await during.webhooks.resealSecrets()).toEqual({ resealed: 0, unreadable: 1 });
    const rows = await stored();
    expect(rows.every((s) => s.startsWith('rdev-sealed:v1:'))).toBe(true);
    expect(rows[2]).toBe(lostStored);

    // B alone now opens them: the previous key can go.
    const after = await harness({ secretKey: keyB });
    const received = r.received.length;
    await pingAll(after);
    expect(r.received.length).toBe(received + 2);
    expectSignedWith(r, { '/clear': clear.secret, '/a': sealedA.secret });
    await after.webhooks.ping(after.admin, lost.id);
    const [report] = await after.delivery.deliverDue(10);
    expect(report!.error).toMatch(/cannot use the signing secret/);
  });

  it('re-seals stored secrets when a server starts with a new key and the previous one', async () => {
    const [keyA, keyB] = [randomBytes(32), randomBytes(32)];
    const r = await receiver();
    const before = await harness({ secretKey: keyA });
    const { secret } = await before.webhooks.create(before.admin, {
      url: `${r.origin}/hook`,
      events: ['command.succeeded'],
    });
    const workspaces = mkdtempSync(join(tmpdir(), 'rdev-reseal-'));
    defer(async () => rmSync(workspaces, { recursive: true, force: true }));
    const app = await createApp(
      loadConfig({
        PORT: '0',
        NODE_ENV: 'test',
        RDEV_WORKSPACES_DIR: workspaces,
        RDEV_WEBHOOK_SECRET_KEY: keyB.toString('base64'),
        RDEV_WEBHOOK_SECRET_KEY_PREVIOUS: keyA.toString('base64'),
      }),
      { database: database(), logger: createLogger({ level: 'silent' }) },
    );
    defer(() => app.stop());
    const [row] = await stored();
    // Opens with B alone: sealed again at start.
    const onlyB = await harness({ secretKey: keyB });
    const [webhook] = (await onlyB.webhooks.list(onlyB.admin, {})).items;
    await onlyB.webhooks.ping(onlyB.admin, webhook!.id);
    await onlyB.delivery.deliverDue(10);
    expect(row).toMatch(/^rdev-sealed:v1:/);
    expectSignedWith(r, { '/hook': secret });
  });
});
