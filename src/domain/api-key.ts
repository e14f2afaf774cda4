import type { Scope } from './scopes.js';

/**
 * An API key as stored and shown: never its secret. A key may hold several secrets while a
 * rotation's grace period runs; each secret is stored only as its SHA-256 digest.
 */
export interface ApiKey {
  id: string;
  name: string;
  /** Display prefix of the newest secret, e.g. `rdev_AbC1…`. */
  prefix: string;
  scopes: Scope[];
  /** Project names the key may touch; `null` means every project. */
  projectNames: string[] | null;
  /** CIDRs or addresses the key may be used from; empty means anywhere. */
  allowedIps: string[];
  expiresAt: Date | null;
  /** Rate-limit units per window; `null` for the configured default. */
  rateLimit: number | null;
  createdByKeyId: string | null;
  createdAt: Date;
  updatedAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
}

/** What authentication needs for one secret: the key and whether this secret still works. */
export interface ApiKeyCredential {
  key: ApiKey;
  digest: string;
  /** When this secret stops working (set on the old secret by a rotation). */
  secretExpiresAt: Date | null;
}

export function isKeyActive(key: ApiKey, now: Date): boolean {
  return key.revokedAt === null && (key.expiresAt === null || key.expiresAt > now);
}

export function isCredentialActive(credential: ApiKeyCredential, now: Date): boolean {
  return (
    isKeyActive(credential.key, now) &&
    (credential.secretExpiresAt === null || credential.secretExpiresAt > now)
  );
}
