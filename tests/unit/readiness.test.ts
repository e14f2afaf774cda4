import { afterEach, describe, expect, it, vi } from 'vitest';
import { Readiness } from '../../src/lifecycle/readiness.js';

const ok = (name: string) => ({ name, check: async () => {} });
const failing = (name: string, reason: string) => ({
  name,
  check: async () => {
    throw new Error(reason);
  },
});

describe('Readiness', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is ready when every check passes, and names the reason of each one that fails', async () => {
    expect(await new Readiness([ok('database'), ok('runtime')]).report()).toEqual({
      ready: true,
      checks: { database: 'ok', runtime: 'ok' },
    });
    expect(
      await new Readiness([ok('database'), failing('events', 'the LISTEN connection is down')]).report(),
    ).toEqual({
      ready: false,
      checks: { database: 'ok', events: 'the LISTEN connection is down' },
    });
  });

  it('reports draining and not ready once draining, whatever the checks say', async () => {
    const readiness = new Readiness([ok('database')]);
    readiness.drain();
    expect(await readiness.report()).toEqual({
      ready: false,
      checks: { server: 'draining', database: 'ok' },
    });
  });

  it('counts a check that does not answer within 2 s as failed, without waiting for it', async () => {
    vi.useFakeTimers();
    const readiness = new Readiness([
      ok('database'),
      { name: 'runtime', check: () => new Promise(() => {}) },
    ]);
    let answered = false;
    const report = readiness.report().finally(() => {
      answered = true;
    });
    await vi.advanceTimersByTimeAsync(1_999);
    expect(answered).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(answered).toBe(true);
    expect(await report).toEqual({
      ready: false,
      checks: { database: 'ok', runtime: 'no answer within 2000 ms' },
    });
  });
});
