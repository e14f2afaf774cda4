/**
 * Counters of the sliding-window rate limiter, per bucket (`key:<id>` or `ip:<address>`) and
 * fixed window. Shared by every replica when it lives in PostgreSQL.
 */
export interface RateLimitStore {
  /**
   * Adds `cost` to the bucket's current window only if the estimated count (previous window
   * weighted by `previousWeight`, plus current, plus `cost`) stays within `limit`. Atomic.
   * @returns whether it was added, with the window counts as they stand afterwards.
   */
  consume(input: {
    bucket: string;
    cost: number;
    limit: number;
    currentStart: number;
    previousStart: number;
    previousWeight: number;
  }): Promise<{ allowed: boolean; previous: number; current: number }>;
  /** Drops windows that ended before `beforeMs` (they can no longer count). */
  prune(beforeMs: number): Promise<void>;
}
