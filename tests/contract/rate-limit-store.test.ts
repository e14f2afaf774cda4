import type { KyselyPlugin } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRateLimitStore } from '../../src/adapters/memory/memory-rate-limit-store.js';
import { PostgresRateLimitStore } from '../../src/adapters/postgres/postgres-rate-limit-store.js';
import type { RateLimitStore } from '../../src/ports/rate-limit-store.js';
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from '../support/test-databases.js';

const WINDOW_MS = 60_000;
const CURRENT = 1_700_000_040_000;
const PREVIOUS = CURRENT - WINDOW_MS;

const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const d of databases.splice(0)) await d.dispose();
});

async function postgresStore(): Promise<RateLimitStore> {
  const database = await createTestDatabase('postgres');
  databases.push(database);
  return new PostgresRateLimitStore(database.db);
}

const kinds: Array<[string, () => Promise<RateLimitStore>]> = [
  ['memory', async () => new MemoryRateLimitStore()],
  ...(POSTGRES_URL ? [['postgres', postgresStore] as [string, () => Promise<RateLimitStore>]] : []),
];

const consume = (
  store: RateLimitStore,
  cost: number,
  limit: number,
  bucket = 'key:a',
  previousWeight = 0.5,
) => store.consume({ bucket, cost, limit, currentStart: CURRENT, previousStart: PREVIOUS, previousWeight });

/**
 * What one-at-a-time counting promises, whatever order the requests were served in: the admitted
 * costs fit in the limit, and every refused request would not fit even in what is left at the end.
 */
function expectServedOneByOne(costs: number[], allowed: boolean[], limit: number, finalCount: number) {
  const admitted = costs.filter((_, i) => allowed[i]).reduce((a, b) => a + b, 0);
  expect(admitted).toBe(finalCount);
  expect(admitted).toBeLessThanOrEqual(limit);
  for (const [i, cost] of costs.entries()) if (!allowed[i]) expect(cost).toBeGreaterThan(limit - admitted);
}

describe.each(kinds)('rate-limit store on %s', (_kind, makeStore) => {
  it('adds the cost only while the estimate stays within the limit, counting the previous window by its weight', async () => {
    const store = await makeStore();
    // 40 in the previous window, weighted 0.5, leave 80 of a limit of 100.
    await store.consume({
      bucket: 'key:a',
      cost: 40,
      limit: 100,
      currentStart: PREVIOUS,
      previousStart: PREVIOUS - WINDOW_MS,
      previousWeight: 0,
    });
    expect(await consume(store, 70, 100)).toEqual({ allowed: true, previous: 40, current: 70 });
    expect(await consume(store, 11, 100)).toEqual({ allowed: false, previous: 40, current: 70 });
    expect(await consume(store, 10, 100)).toEqual({ allowed: true, previous: 40, current: 80 });
    // Another bucket counts on its own.
    expect(await consume(store, 5, 100, 'ip:127.0.0.1')).toEqual({ allowed: true, previous: 0, current: 5 });
  });

  it('shares out the last units of a burst of concurrent requests as if they came one by one', async () => {
    const store = await makeStore();
    const costs = Array.from({ length: 300 }, (_, i) => 1 + ((i * 7) % 5));
    const results = await Promise.all(costs.map((c) => consume(store, c, 500)));
    const final = await consume(store, 0, 500);
    expectServedOneByOne(
      costs,
      results.map((r) => r.allowed),
      500,
      final.current,
    );
    // The counts each admitted request saw are distinct and never above the limit.
    const seen = results.filter((r) => r.allowed).map((r) => r.current);
    expect(new Set(seen).size).toBe(seen.length);
    expect(Math.max(...seen)).toBeLessThanOrEqual(500);
  });
});

describe.runIf(POSTGRES_URL)('rate-limit store on PostgreSQL under load', () => {
  it('sends the requests that arrive while a bucket is busy together, in far fewer statements', async () => {
    const database = await createTestDatabase('postgres');
    databases.push(database);
    let statements = 0;
    const counting: KyselyPlugin = {
      transformQuery: (args) => {
        statements++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const store = new PostgresRateLimitStore(database.db.withPlugin(counting));
    const results = await Promise.all(Array.from({ length: 200 }, () => consume(store, 1, 10_000)));
    expect(results.every((r) => r.allowed)).toBe(true);
    expect(results.map((r) => r.current).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    expect(statements).toBeLessThan(20);
  });

  it('stays exact with two replicas racing for the same bucket', async () => {
    const database = await createTestDatabase('postgres');
    databases.push(database);
    const replicas = [new PostgresRateLimitStore(database.db), new PostgresRateLimitStore(database.db)];
    const costs = Array.from({ length: 400 }, (_, i) => 1 + ((i * 3) % 4));
    const results = await Promise.all(costs.map((c, i) => consume(replicas[i % 2]!, c, 300)));
    const final = await consume(replicas[0]!, 0, 300);
    expectServedOneByOne(
      costs,
      results.map((r) => r.allowed),
      300,
      final.current,
    );
  });
});
