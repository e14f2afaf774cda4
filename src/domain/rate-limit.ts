/**
 * Sliding-window counter rate limiting. Time is cut into fixed windows; the count over the last
 * `window` is estimated as the current window's count plus the previous window's count weighted
 * by how much of it still overlaps the sliding window. Its error against an exact sliding log is
 * bounded by the previous window's count times the estimate's weighting error, which is zero when
 * requests are spread evenly and at most one window's worth of requests in the worst case
 * (documented and property-tested).
 */
export interface WindowPosition {
  /** Start (ms since epoch) of the current fixed window. */
  currentStart: number;
  previousStart: number;
  /** Weight of the previous window's count: the share of it inside the sliding window. */
  previousWeight: number;
  /** Milliseconds until the current window ends. */
  msToWindowEnd: number;
}

export function windowPosition(nowMs: number, windowMs: number): WindowPosition {
  const currentStart = Math.floor(nowMs / windowMs) * windowMs;
  const elapsed = nowMs - currentStart;
  return {
    currentStart,
    previousStart: currentStart - windowMs,
    previousWeight: (windowMs - elapsed) / windowMs,
    msToWindowEnd: windowMs - elapsed,
  };
}

export function estimatedCount(previous: number, current: number, position: WindowPosition): number {
  return previous * position.previousWeight + current;
}

/** The outcome of one check. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  /** What is left in the sliding window after this request (0 when refused). */
  remaining: number;
  /** Seconds until enough of the window has passed for a request of this cost (refused), or until the window resets. */
  resetSeconds: number;
  windowSeconds: number;
}

/**
 * Seconds until a request of `cost` would fit, assuming no other traffic: the previous window's
 * weight falls linearly until the current window ends, then the current window becomes previous.
 */
export function retryAfterSeconds(
  previous: number,
  current: number,
  cost: number,
  limit: number,
  nowMs: number,
  windowMs: number,
): number {
  const pos = windowPosition(nowMs, windowMs);
  const excess = estimatedCount(previous, current, pos) + cost - limit;
  if (excess <= 0) return 0;
  if (previous > 0) {
    const msToFit = (excess / previous) * windowMs;
    if (msToFit <= pos.msToWindowEnd) return Math.max(1, Math.ceil(msToFit / 1000));
  }
  // In the next window this window's count weighs (1 - t/window): solve for t.
  const ms =
    current > 0
      ? pos.msToWindowEnd + Math.max(0, (1 - (limit - cost) / current) * windowMs)
      : pos.msToWindowEnd;
  return Math.max(1, Math.ceil(ms / 1000));
}
