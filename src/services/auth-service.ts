import { type ApiKeyCredential, isCredentialActive } from '../domain/api-key.js';
import { isWellFormedKeyText, keyDigest } from '../domain/api-key-text.js';
import { auditActor } from '../domain/audit.js';
import { ForbiddenError, UnauthenticatedError } from '../domain/errors.js';
import type { KeyPrincipal } from '../domain/principal.js';
import type { ApiKeyStore } from '../ports/api-key-store.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { Clock } from './clock.js';
import { ipInRanges, parseCidr } from './ip-ranges.js';

export interface AuthServiceDeps {
  store: ApiKeyStore;
  audit: AuditLog;
  clock: Clock;
  /** How long a looked-up key is trusted without asking the database again: the revocation bound for requests. */
  cacheTtlMs: number;
  cacheMaxEntries: number;
  /** `lastUsedAt` is written at most this often per key. */
  touchIntervalMs: number;
  /** Called when a failed authentication is counted, with a bounded reason. */
  onFailure?(reason: AuthFailureReason): void;
  onBackgroundError?(error: unknown): void;
}

export type AuthFailureReason = 'malformed' | 'unknown' | 'revoked' | 'expired' | 'ip_not_allowed';

interface CacheEntry {
  credential: ApiKeyCredential;
  fetchedAt: number;
}

/**
 * Turns key text into a principal. Malformed text is refused before any I/O; known keys are
 * cached for `cacheTtlMs` (bounded in size), so revocation reaches every replica within that time.
 */
export class AuthService {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly lastTouched = new Map<string, number>();

  constructor(private readonly deps: AuthServiceDeps) {}

  async authenticate(
    keyText: string,
    request: { clientIp: string; requestId: string },
  ): Promise<KeyPrincipal> {
    if (!isWellFormedKeyText(keyText)) return this.fail('malformed');
    const digest = keyDigest(keyText);
    const now = this.deps.clock();
    const credential = await this.lookup(digest, now.getTime());
    if (!credential) return this.fail('unknown');
    if (!isCredentialActive(credential, now)) {
      return this.fail(credential.key.revokedAt ? 'revoked' : 'expired');
    }
    const { key } = credential;
    const principal: KeyPrincipal = {
      kind: 'key',
      keyId: key.id,
      keyName: key.name,
      credentialId: digest,
      scopes: new Set(key.scopes),
      projectNames: key.projectNames,
      allowedIps: key.allowedIps,
      expiresAt: key.expiresAt,
      rateLimit: key.rateLimit,
      clientIp: request.clientIp,
      requestId: request.requestId,
    };
    if (key.allowedIps.length > 0 && !ipInRanges(request.clientIp, key.allowedIps.map(parseCidr))) {
      this.deps.onFailure?.('ip_not_allowed');
      await this.deps.audit.record({
        ...auditActor(principal),
        action: 'api_key.use',
        targetType: 'ApiKey',
        targetId: key.id,
        outcome: 'DENIED',
        details: { reason: 'client IP not in the allow-list' },
      });
      throw new ForbiddenError(`This API key may not be used from ${request.clientIp}.`, {
        reason: 'ip_not_allowed',
      });
    }
    this.touch(key.id, now, request.clientIp);
    return principal;
  }

  /** Forgets a key at once on this replica (after a change made here). */
  invalidateKey(keyId: string): void {
    for (const [digest, entry] of this.cache)
      if (entry.credential.key.id === keyId) this.cache.delete(digest);
  }

  /** Of the given credentials (digests), those still usable now, asked of the database. */
  activeCredentials(digests: readonly string[]): Promise<Set<string>> {
    return this.deps.store.activeDigests(digests, this.deps.clock());
  }

  private async lookup(digest: string, nowMs: number): Promise<ApiKeyCredential | null> {
    const cached = this.cache.get(digest);
    if (cached && nowMs - cached.fetchedAt < this.deps.cacheTtlMs) {
      // Re-insert to keep the map in least-recently-used order.
      this.cache.delete(digest);
      this.cache.set(digest, cached);
      return cached.credential;
    }
    const credential = await this.deps.store.findCredential(digest);
    if (credential) {
      this.cache.set(digest, { credential, fetchedAt: nowMs });
      while (this.cache.size > this.deps.cacheMaxEntries) {
        const oldest = this.cache.keys().next().value;
        if (oldest === undefined) break;
        this.cache.delete(oldest);
      }
    } else {
      this.cache.delete(digest);
    }
    return credential;
  }

  private touch(keyId: string, now: Date, ip: string): void {
    const last = this.lastTouched.get(keyId) ?? 0;
    if (now.getTime() - last < this.deps.touchIntervalMs) return;
    this.lastTouched.set(keyId, now.getTime());
    if (this.lastTouched.size > this.deps.cacheMaxEntries) this.lastTouched.clear();
    this.deps.store.touch(keyId, now, ip).catch((error) => this.deps.onBackgroundError?.(error));
  }

  private fail(reason: AuthFailureReason): never {
    this.deps.onFailure?.(reason);
    throw new UnauthenticatedError(
      reason === 'malformed'
        ? 'The API key is malformed: it must be the full "rdev_…" text as issued.'
        : 'The API key is unknown, revoked or expired.',
    );
  }
}
