import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type SecretBox, SecretBoxError } from '../../ports/secret-box.js';

const PREFIX = 'rdev-sealed:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM with an operator's key (`RDEV_WEBHOOK_SECRET_KEY`): sealed values are
 * `rdev-sealed:v1:` + base64(iv, tag, ciphertext). Without a key, values are stored as given.
 * Values stored in clear (before a key was set) open as they are, so setting a key needs no
 * migration; a sealed value with no key, or another key, is refused rather than used. During a
 * key change the previous key (`RDEV_WEBHOOK_SECRET_KEY_PREVIOUS`) still opens what it sealed.
 */
export class AesGcmSecretBox implements SecretBox {
  constructor(
    private readonly key: Buffer | null,
    private readonly previousKey: Buffer | null = null,
  ) {
    for (const k of [key, previousKey]) {
      if (k && k.length !== 32) throw new Error('an AES-256 key has 32 bytes');
    }
    if (previousKey && !key) throw new Error('a previous key needs the key that replaces it');
  }

  seal(secret: string): string {
    if (!this.key) return secret;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64');
  }

  open(stored: string): string {
    if (!stored.startsWith(PREFIX)) return stored;
    if (!this.key) {
      throw new SecretBoxError('the secret is sealed, and RDEV_WEBHOOK_SECRET_KEY is not set');
    }
    const opened = openWith(this.key, stored) ?? (this.previousKey && openWith(this.previousKey, stored));
    if (opened === null) {
      throw new SecretBoxError(
        this.previousKey
          ? 'the secret was sealed with neither RDEV_WEBHOOK_SECRET_KEY nor RDEV_WEBHOOK_SECRET_KEY_PREVIOUS'
          : 'the secret was sealed with another RDEV_WEBHOOK_SECRET_KEY',
      );
    }
    return opened;
  }

  isCurrent(stored: string): boolean {
    if (!this.key) return true;
    return stored.startsWith(PREFIX) && openWith(this.key, stored) !== null;
  }
}

/** The secret in clear, or null when `key` did not seal it (GCM's tag does not match). */
function openWith(key: Buffer, stored: string): string | null {
  const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return null;
  }
}
