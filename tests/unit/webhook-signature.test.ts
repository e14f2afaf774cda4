import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, webhookSecretKey } from '../../src/domain/webhook-secret.js';
import { signWebhook, webhookSignatureHeaders } from '../../src/domain/webhook-signature.js';

describe('Standard Webhooks signing', () => {
  it('matches the published test vector', () => {
    // The vector every Standard Webhooks library is tested against.
    expect(
      signWebhook({
        id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        timestampSeconds: 1614265330,
        body: '{"test": 2432232314}',
        secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      }),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('signs the exact bytes, and the standardwebhooks package verifies each secret during an overlap', () => {
    const current = generateWebhookSecret();
    const previous = generateWebhookSecret();
    const body = '{"type":"webhook.ping","data":{"ü":"\\u2028 spaced  out"}}';
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookSignatureHeaders({
      id: 'msg_abc',
      timestampSeconds: now,
      body,
      secrets: [current, previous],
    });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=* v1,[A-Za-z0-9+/]+=*$/);
    for (const secret of [current, previous]) {
      expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    }
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(current).verify(`${body} `, headers)).toThrow();
  });

  it('refuses message ids containing the separator', () => {
    expect(() =>
      signWebhook({ id: 'msg.1', timestampSeconds: 1, body: '{}', secrets: [generateWebhookSecret()] }),
    ).toThrow(/must not contain/);
  });
});

describe('webhook secrets', () => {
  it('are whsec_ and base64 of 24 to 64 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(webhookSecretKey(secret)).toHaveLength(32);
    expect(webhookSecretKey(generateWebhookSecret(24))).toHaveLength(24);
    expect(webhookSecretKey(generateWebhookSecret(64))).toHaveLength(64);
    expect(generateWebhookSecret()).not.toBe(secret);
    expect(() => generateWebhookSecret(16)).toThrow(RangeError);
    expect(() => generateWebhookSecret(65)).toThrow(RangeError);
  });

  it('rejects anything else as a signing key', () => {
    expect(() => webhookSecretKey('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toThrow(/whsec_/);
    expect(() => webhookSecretKey('whsec_c2hvcnQ=')).toThrow(/bytes/);
    expect(() => webhookSecretKey('whsec_not base64!')).toThrow(/base64/);
  });
});
