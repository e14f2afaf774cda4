import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS,
  failingTooLong,
  honoursRetryAfter,
  nextRetryDelayMs,
  parseRetryAfter,
  webhookResponseVerdict,
} from '../../src/domain/webhook-retry.js';

const policy = { scheduleMs: DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS, jitter: 0.2, maxRetryAfterMs: 3_600_000 };

describe('webhook retry schedule', () => {
  it("is Svix's schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then give up", () => {
    const middle = () => 0.5;
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => nextRetryDelayMs(policy, n, middle));
    expect(delays).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(nextRetryDelayMs(policy, 8, middle)).toBeNull();
  });

  it('spreads each delay by the jitter and no further', () => {
    expect(nextRetryDelayMs(policy, 2, () => 0)).toBe(240_000);
    expect(nextRetryDelayMs(policy, 2, () => 0.999999)).toBeCloseTo(360_000, -1);
    const seen = new Set(Array.from({ length: 50 }, () => nextRetryDelayMs(policy, 1, Math.random)));
    expect(seen.size).toBeGreaterThan(1);
    for (const d of seen) {
      expect(d).toBeGreaterThanOrEqual(4_000);
      expect(d).toBeLessThanOrEqual(6_000);
    }
  });

  it('honours Retry-After within the bound, never coming back earlier than the schedule', () => {
    const middle = () => 0.5;
    expect(nextRetryDelayMs(policy, 1, middle, 120_000)).toBe(120_000);
    expect(nextRetryDelayMs(policy, 1, middle, 1_000)).toBe(5_000);
    expect(nextRetryDelayMs(policy, 1, middle, 86_400_000)).toBe(3_600_000);
    expect(nextRetryDelayMs(policy, 8, middle, 1_000)).toBeNull();
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Mon, 31 Dec 2029 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it('judges responses: 2xx succeeds, 410 is gone, anything else (3xx included) fails', () => {
    expect([200, 204, 299].map(webhookResponseVerdict)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(webhookResponseVerdict(410)).toBe('gone');
    expect([301, 302, 400, 404, 429, 500, 503].every((s) => webhookResponseVerdict(s) === 'failed')).toBe(
      true,
    );
    expect([429, 503].every(honoursRetryAfter)).toBe(true);
    expect([500, 502].some(honoursRetryAfter)).toBe(false);
  });

  it('disables after failing continuously for the configured period', () => {
    const since = new Date('2030-01-01T00:00:00Z');
    expect(failingTooLong(null, new Date('2031-01-01T00:00:00Z'), 1000)).toBe(false);
    expect(failingTooLong(since, new Date('2030-01-01T00:00:00.999Z'), 1000)).toBe(false);
    expect(failingTooLong(since, new Date('2030-01-01T00:00:01Z'), 1000)).toBe(true);
  });
});
