import { describe, expect, it } from 'vitest';
import { StartBackoff } from '../../src/engine/start-backoff.js';

describe('StartBackoff', () => {
  it('waits longer after each unreachable start, up to the cap, per project, until one is reached', () => {
    let now = 0;
    const backoff = new StartBackoff({ firstMs: 1_000, maxMs: 4_000, now: () => now });
    expect(backoff.waiting('a')).toBe(false);
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      backoff.unreachable('a');
      const from = now;
      while (backoff.waiting('a')) now += 100;
      waits.push(now - from);
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 4_000, 4_000]);
    expect(backoff.waiting('b')).toBe(false);
    backoff.unreachable('a');
    backoff.reached('a');
    expect(backoff.waiting('a')).toBe(false);
  });
});
