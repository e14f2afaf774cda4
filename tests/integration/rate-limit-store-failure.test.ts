import { createServer } from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/postgres/database.js';
import { PostgresRateLimitStore } from '../../src/adapters/postgres/postgres-rate-limit-store.js';
import { RateLimiter } from '../../src/engine/rate-limiter.js';
import type { RateLimitStore } from '../../src/ports/rate-limit-store.js';
import { createTestDatabase, POSTGRES_URL } from '../support/test-databases.js';

/**
 * The documented failure policy of the rate limiter, against the PostgreSQL store (the one that can
 * fail: without PostgreSQL the counters live in memory) failing for real: it throws (the server
 * refuses connections) or it hangs (its counter row is held locked by another transaction).
 * `open` lets the request through, `closed` refuses it, and a hanging store is given up after
 * `timeoutMs`.
 */
const WINDOW_S = 60;
const LIMIT = 10;
const NOW = 1_700_000_050_000; // 10 s into a 60 s window
const CURRENT_START = Math.floor(NOW / (WINDOW_S * 1000)) * WINDOW_S * 1000;
const TIMEOUT_MS = 300;
const SUBJECT = { kind: 'key', keyId: 'k1', limit: null } as const;

function limiter(store: RateLimitStore, failurePolicy: 'open' | 'closed') {
  const errors: unknown[] = [];
  const rateLimiter = new RateLimiter({
    store,
    clock: () => new Date(NOW),
    windowSeconds: WINDOW_S,
    defaultKeyLimit: LIMIT,
    anonymousLimit: LIMIT,
    timeoutMs: TIMEOUT_MS,
    failurePolicy,
    onStoreError: (error) => errors.push(error),
  });
  return { rateLimiter, errors };
}

function expectPolicy(decision: Awaited<ReturnType<RateLimiter['check']>>, policy: 'open' | 'closed') {
  if (policy === 'open') expect(decision).toMatchObject({ allowed: true, limit: LIMIT, remaining: LIMIT });
  // Refused with a Retry-After of the rest of the window (50 s here), never 0.
  else expect(decision).toMatchObject({ allowed: false, limit: LIMIT, remaining: 0, resetSeconds: 50 });
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.runIf(POSTGRES_URL).each(['open', 'closed'] as const)('rate limiter failing %s', (policy) => {
  it('with a PostgreSQL server that refuses connections', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const dead = await openDatabase({ kind: 'postgres', url: `postgres://postgres@127.0.0.1:${port}/test` });
    cleanups.push(() => dead.close());
    const { rateLimiter, errors } = limiter(new PostgresRateLimitStore(dead.db), policy);

    expectPolicy(await rateLimiter.check(SUBJECT, 1), policy);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/ECONNREFUSED/);
  });

  it('with a PostgreSQL store that hangs past the timeout', async () => {
    const database = await createTestDatabase('postgres');
    cleanups.push(() => database.dispose());
    const { rateLimiter, errors } = limiter(new PostgresRateLimitStore(database.db), policy);
    expect(await rateLimiter.check(SUBJECT, 1)).toMatchObject({ allowed: true, remaining: LIMIT - 1 });

    // Another transaction holds the key's counter row, so the store's next update waits on its lock.
    const holder = new pg.Client({ connectionString: database.testUrl! });
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query('BEGIN');
    const { rowCount } = await holder.query(
      'SELECT 1 FROM rate_limit_windows WHERE bucket = $1 AND window_start = $2 FOR UPDATE',
      ['key:k1', CURRENT_START],
    );
    expect(rowCount).toBe(1);

    // The decision comes while the lock is still held: the limiter gave up on the store.
    expectPolicy(await rateLimiter.check(SUBJECT, 1), policy);
    expect(errors.map(String)).toEqual([`Error: rate-limit store did not answer within ${TIMEOUT_MS} ms`]);

    // Once the lock is gone the store answers again.
    await holder.query('ROLLBACK');
    expect(await rateLimiter.check(SUBJECT, 1)).toMatchObject({ allowed: true });
    expect(errors).toHaveLength(1);
  }, 20_000);
});
