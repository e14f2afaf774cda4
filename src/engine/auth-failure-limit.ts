import type { Clock } from '../domain/clock.js';
import { RateLimitedError } from '../domain/errors.js';
import type { RateLimiter } from './rate-limiter.js';

export interface AuthFailureLimitDeps {
  /** The shared sliding-window counters (every replica sees the same failures). */
  limiter: Pick<RateLimiter, 'take'>;
  clock: Clock;
  /** Failed authentications allowed per window, per client IP and per key prefix. */
  perWindow: number;
  /** Most blocked addresses and prefixes remembered on this replica. */
  maxBlocked?: number;
}

/**
 * Slows down key guessing. Each failed authentication is counted in the shared rate-limit store
 * per client IP and per key prefix; once either is over its budget, this replica refuses that IP
 * or prefix with RATE_LIMITED *before* looking the key up, from memory, for the rest of the window.
 * So a flood of bad keys costs one counter write per failure until the budget is spent and nothing
 * after, and the database never sees the lookups.
 */
export class AuthFailureLimit {
  private readonly blockedUntil = new Map<string, number>();

  constructor(private readonly deps: AuthFailureLimitDeps) {}

  /** Throws RATE_LIMITED when the client IP or the key prefix is blocked now. Costs no I/O. */
  assertAllowed(clientIp: string, prefix: string | null): void {
    const now = this.deps.clock().getTime();
    for (const bucket of buckets(clientIp, prefix)) {
      const until = this.blockedUntil.get(bucket);
      if (until === undefined) continue;
      if (until <= now) this.blockedUntil.delete(bucket);
      else throw new RateLimitedError(Math.max(1, Math.ceil((until - now) / 1000)));
    }
  }

  /** Counts one failure; blocks the IP or prefix on this replica once it is over budget. */
  async recordFailure(clientIp: string, prefix: string | null): Promise<void> {
    await Promise.all(
      buckets(clientIp, prefix).map(async (bucket) => {
        const decision = await this.deps.limiter.take(bucket, this.deps.perWindow, 1, 'auth_failure');
        if (decision.allowed) return;
        if (this.blockedUntil.size >= (this.deps.maxBlocked ?? 100_000)) this.blockedUntil.clear();
        this.blockedUntil.set(bucket, this.deps.clock().getTime() + decision.resetSeconds * 1000);
      }),
    );
  }
}

function buckets(clientIp: string, prefix: string | null): string[] {
  return prefix === null
    ? [`auth-fail-ip:${clientIp}`]
    : [`auth-fail-ip:${clientIp}`, `auth-fail-prefix:${prefix}`];
}
