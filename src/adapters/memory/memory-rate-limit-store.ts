import type { RateLimitStore } from '../../ports/rate-limit-store.js';

/** Rate-limit counters in this process: for the embedded database, where there is one process. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, number>();

  async consume(input: {
    bucket: string;
    cost: number;
    limit: number;
    currentStart: number;
    previousStart: number;
    previousWeight: number;
  }): Promise<{ allowed: boolean; previous: number; current: number }> {
    const previous = this.windows.get(`${input.bucket}@${input.previousStart}`) ?? 0;
    const key = `${input.bucket}@${input.currentStart}`;
    const current = this.windows.get(key) ?? 0;
    if (previous * input.previousWeight + current + input.cost > input.limit) {
      return { allowed: false, previous, current };
    }
    this.windows.set(key, current + input.cost);
    return { allowed: true, previous, current: current + input.cost };
  }

  async prune(beforeMs: number): Promise<void> {
    for (const key of this.windows.keys()) {
      if (Number(key.slice(key.lastIndexOf('@') + 1)) < beforeMs) this.windows.delete(key);
    }
  }
}
