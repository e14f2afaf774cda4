import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * The key text: `rdev_` + 30 random base62 characters (≈178 bits) + a 6-character base62 CRC32
 * of them. The checksum lets a mistyped or made-up key be refused without asking the database,
 * and the prefix lets secret scanners recognise a leaked key.
 */
export const KEY_PREFIX = 'rdev_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
export const KEY_TEXT_LENGTH = KEY_PREFIX.length + RANDOM_LENGTH + CHECKSUM_LENGTH;
const KEY_PATTERN = new RegExp(`^${KEY_PREFIX}[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);

function base62(value: number, width: number): string {
  let out = '';
  let n = value;
  for (let i = 0; i < width; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

function checksum(body: string): string {
  return base62(crc32(body), CHECKSUM_LENGTH);
}

export function generateKeyText(): string {
  let body = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) body += ALPHABET[randomInt(62)];
  return `${KEY_PREFIX}${body}${checksum(body)}`;
}

/** True when `text` has the key shape and a valid checksum. Costs no I/O. */
export function isWellFormedKeyText(text: string): boolean {
  if (text.length !== KEY_TEXT_LENGTH || !KEY_PATTERN.test(text)) return false;
  const body = text.slice(KEY_PREFIX.length, KEY_PREFIX.length + RANDOM_LENGTH);
  const given = text.slice(KEY_PREFIX.length + RANDOM_LENGTH);
  return timingSafeEqual(Buffer.from(given), Buffer.from(checksum(body)));
}

/** What is stored: the SHA-256 digest (hex). High-entropy keys need no slow hash. */
export function keyDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A short, non-secret label for lists and logs: `rdev_AbC1…`. */
export function displayPrefix(text: string): string {
  return `${text.slice(0, KEY_PREFIX.length + 6)}…`;
}
