import { type ApiKeyCredential, isCredentialActive } from '../domain/api-key.js';
import { displayPrefix, isWellFormedKeyText, keyDigest } from '../domain/api-key-text.js';
import type { Clock } from '../domain/clock.js';
import { type Credentials, keyTextOf } from '../domain/credentials.js';
import { UnauthenticatedError } from '../domain/errors.js';
import { ipInRanges, parseCidr } from '../domain/ip-ranges.js';
import type { KeyPrincipal } from '../domain/principal.js';
import type { AuthFailureLimit } from '../engine/auth-failure-limit.js';
import type { AuthFailureReason, DenialAudit } from '../engine/denial-audit.js';
import type { ApiKeyStore } from '../ports/api-key-store.js';

export type { AuthFailureReason } from '../engine/denial-audit.js';

export interface AuthServiceDeps {
  store: ApiKeyStore;
  clock: Clock;
  /** How long a looked-up key is trusted without asking the database again: the revocation bound for requests. */
  cacheTtlMs: number;
  cacheMaxEntries: number;
  /** `lastUsedAt` is written at most this often per key. */
  touchIntervalMs: number;
  /** Audit rows for refused keys, repeats counted rather than written one by one. */
  denials: DenialAudit;
  /** Blocks a client IP or key prefix after too many failures; none: no limit. */
  failureLimit?: AuthFailureLimit;
  /** Called when a failed authentication is counted, with a bounded reason. */
  onFailure?(reason: AuthFailureReason): void;
  onBackgroundError?(error: unknown): void;
}

/** One request, connection or operation to authenticate, on whatever transport it came. */
export interface AuthRequest extends Credentials {
  clientIp: string;
  requestId: string;
}

interface CacheEntry {
  credential: ApiKeyCredential;
  fetchedAt: number;
}

/** The one answer to every refused key, so a refusal says nothing about why (a leaked key cannot be confirmed). */
const REFUSED = 'The API key is unknown, revoked or expired.';

/**
 * Turns what a caller sent into a principal: the one authentication path of every transport
 * (GraphQL over HTTP and SSE, graphql-ws connections and each of their operations, the legacy
 * routes). Malformed text is refused before any I/O; known keys are cached for `cacheTtlMs`
 * (bounded in size), so revocation reaches every replica within that time.
 */
export class AuthService {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly lastTouched = new Map<string, number>();

  constructor(private readonly deps: AuthServiceDeps) {}

  /** The caller of a request: `null` when it sent no key; throws UNAUTHENTICATED or RATE_LIMITED. */
  async authenticateRequest(request: AuthRequest): Promise<KeyPrincipal | null> {
    const keyText = keyTextOf(request);
    return keyText === null ? null : this.authenticate(keyText, request);
  }

  async authenticate(
    keyText: string,
    request: { clientIp: string; requestId: string },
  ): Promise<KeyPrincipal> {
    const wellFormed = isWellFormedKeyText(keyText);
    const prefix = wellFormed ? displayPrefix(keyText) : null;
    this.deps.failureLimit?.assertAllowed(request.clientIp, prefix);
    if (!wellFormed) {
      // Refused from the text alone: nothing to look up, count or audit, so no I/O at all.
      this.deps.onFailure?.('malformed');
      throw new UnauthenticatedError(
        'The API key is malformed: it must be the full "rdev_…" text as issued.',
      );
    }
    const digest = keyDigest(keyText);
    const now = this.deps.clock();
    const credential = await this.lookup(digest, now.getTime());
    const outcome = this.check(credential, digest, request, now);
    if ('reason' in outcome) return this.fail(outcome.reason, request, credential?.key.id ?? null, prefix);
    this.touch(outcome.keyId, now, request.clientIp);
    return outcome;
  }

  /**
   * The principal of a credential (a secret's digest) as the key stands now, for an open stream
   * or connection to be checked again: through the cache, so it costs nothing when the key is
   * fresh in it. Throws UNAUTHENTICATED when the key no longer works from `clientIp`; a stream
   * ending that way is not counted as a failed authentication.
   */
  async current(digest: string, request: { clientIp: string; requestId: string }): Promise<KeyPrincipal> {
    const now = this.deps.clock();
    const outcome = this.check(await this.lookup(digest, now.getTime()), digest, request, now);
    if ('reason' in outcome) throw new UnauthenticatedError(REFUSED);
    return outcome;
  }

  /** Forgets a key at once on this replica (after a change made here or announced by another). */
  invalidateKey(keyId: string): void {
    for (const [digest, entry] of this.cache)
      if (entry.credential.key.id === keyId) this.cache.delete(digest);
  }

  private check(
    credential: ApiKeyCredential | null,
    digest: string,
    request: { clientIp: string; requestId: string },
    now: Date,
  ): KeyPrincipal | { reason: Exclude<AuthFailureReason, 'malformed'> } {
    if (!credential) return { reason: 'unknown' };
    if (!isCredentialActive(credential, now))
      return { reason: credential.key.revokedAt ? 'revoked' : 'expired' };
    const { key } = credential;
    if (key.allowedIps.length > 0 && !ipInRanges(request.clientIp, key.allowedIps.map(parseCidr))) {
      return { reason: 'ip_not_allowed' };
    }
    return {
      kind: 'key',
      keyId: key.id,
      keyName: key.name,
      credentialId: digest,
      scopes: new Set(key.scopes),
      projectNames: key.projectNames,
      allowedIps: key.allowedIps,
      expiresAt: earliest(key.expiresAt, credential.secretExpiresAt),
      secretExpiresAt: credential.secretExpiresAt,
      rateLimit: key.rateLimit,
      clientIp: request.clientIp,
      requestId: request.requestId,
    };
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

  /**
   * Counts and audits a refusal, then refuses. Every refusal of a key that was sent whole gets the
   * same status and message, whether the key is unknown, revoked, expired or used from an address
   * its allow-list excludes.
   */
  private async fail(
    reason: Exclude<AuthFailureReason, 'malformed'>,
    request: { clientIp: string; requestId: string },
    keyId: string | null,
    prefix: string | null,
  ): Promise<never> {
    this.deps.onFailure?.(reason);
    const counted = this.deps.failureLimit
      ?.recordFailure(request.clientIp, prefix)
      .catch((error) => this.deps.onBackgroundError?.(error));
    await Promise.all([
      counted,
      this.deps.denials.record({
        reason,
        clientIp: request.clientIp,
        keyId,
        prefix,
        requestId: request.requestId,
      }),
    ]);
    throw new UnauthenticatedError(REFUSED);
  }
}

function earliest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}
