import type { Clock } from '../domain/clock.js';
import type { Principal } from '../domain/principal.js';
import {
  estimatedCount,
  type RateLimitDecision,
  retryAfterSeconds,
  windowPosition,
} from '../domain/rate-limit.js';
import type { RateLimitStore } from '../ports/rate-limit-store.js';

export interface RateLimiterDeps {
  store: RateLimitStore;
  clock: Clock;
  windowSeconds: number;
  /** Per-key limit when the key sets none. */
  defaultKeyLimit: number;
  /** Limit per client IP for requests without a key. */
  anonymousLimit: number;
  /** A store that does not answer within this time is treated as failed. */
  timeoutMs: number;
  /**
   * What a failed store means: `open` lets requests through (availability first: a database
   * hiccup must not lock every client out), `closed` refuses them.
   */
  failurePolicy: 'open' | 'closed';
  onStoreError?(error: unknown): void;
  /** A refusal, by what was limited: `key`, `ip`, or another limit's name (`auth_failure`). */
  onLimited?(subject: string): void;
}

export type RateLimitSubject =
  | { kind: 'key'; keyId: string; limit: number | null }
  | { kind: 'ip'; ip: string };

/** Sliding-window limits, per key or per client IP, weighted by the cost of each operation. */
export class RateLimiter {
  private lastPrune = 0;

  constructor(private readonly deps: RateLimiterDeps) {}

  get windowSeconds(): number {
    return this.deps.windowSeconds;
  }

  limitFor(subject: RateLimitSubject): number {
    return subject.kind === 'key' ? (subject.limit ?? this.deps.defaultKeyLimit) : this.deps.anonymousLimit;
  }

  /** Counts `cost` against the caller: its key's window, or its client IP's when it has no key. */
  checkCaller(caller: Principal | null, clientIp: string, cost: number): Promise<RateLimitDecision> {
    return this.check(
      caller?.kind === 'key'
        ? { kind: 'key', keyId: caller.keyId, limit: caller.rateLimit ?? null }
        : { kind: 'ip', ip: clientIp },
      cost,
    );
  }

  async check(subject: RateLimitSubject, cost: number): Promise<RateLimitDecision> {
    const bucket = subject.kind === 'key' ? `key:${subject.keyId}` : `ip:${subject.ip}`;
    return this.take(bucket, this.limitFor(subject), cost, subject.kind);
  }

  /**
   * Counts `cost` against `bucket` with a limit of `limit` per window, in the same shared store:
   * for limits of other things than requests (failed authentications). `label` names the limit
   * in metrics.
   */
  async take(bucket: string, limit: number, cost: number, label: string): Promise<RateLimitDecision> {
    const windowMs = this.deps.windowSeconds * 1000;
    const now = this.deps.clock().getTime();
    const pos = windowPosition(now, windowMs);
    const weight = Math.max(1, Math.ceil(cost));
    let result: { allowed: boolean; previous: number; current: number };
    try {
      result = await withTimeout(
        this.deps.store.consume({
          bucket,
          cost: weight,
          limit,
          currentStart: pos.currentStart,
          previousStart: pos.previousStart,
          previousWeight: pos.previousWeight,
        }),
        this.deps.timeoutMs,
      );
    } catch (error) {
      this.deps.onStoreError?.(error);
      const allowed = this.deps.failurePolicy === 'open';
      return {
        allowed,
        limit,
        remaining: allowed ? limit : 0,
        resetSeconds: Math.ceil(pos.msToWindowEnd / 1000),
        windowSeconds: this.deps.windowSeconds,
      };
    }
    this.maybePrune(now, windowMs);
    const used = estimatedCount(result.previous, result.current, pos);
    if (!result.allowed) {
      this.deps.onLimited?.(label);
      return {
        allowed: false,
        limit,
        remaining: 0,
        resetSeconds: retryAfterSeconds(result.previous, result.current, weight, limit, now, windowMs),
        windowSeconds: this.deps.windowSeconds,
      };
    }
    return {
      allowed: true,
      limit,
      remaining: Math.max(0, Math.floor(limit - used)),
      resetSeconds: Math.max(1, Math.ceil(pos.msToWindowEnd / 1000)),
      windowSeconds: this.deps.windowSeconds,
    };
  }

  private maybePrune(now: number, windowMs: number): void {
    if (now - this.lastPrune < windowMs) return;
    this.lastPrune = now;
    this.deps.store.prune(now - 2 * windowMs).catch((error) => this.deps.onStoreError?.(error));
  }
}

/** The IETF RateLimit draft headers for a decision. */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    'RateLimit-Policy': `"default";q=${decision.limit};w=${decision.windowSeconds}`,
    RateLimit: `"default";r=${decision.remaining};t=${decision.resetSeconds}`,
    ...(decision.allowed ? {} : { 'Retry-After': String(decision.resetSeconds) }),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`rate-limit store did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
