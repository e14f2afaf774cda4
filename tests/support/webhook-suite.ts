import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { DatabaseKind } from '../../src/adapters/postgres/database.js';
import { createTestDatabase, emptyTables, type TestDatabase } from './test-databases.js';
import { webhookHarness } from './webhook-harness.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

/**
 * Per-test setup of the webhook suites: an empty database (one per `describe`, emptied before each
 * test, see `emptyTables`), and receivers and harnesses that are closed after each test in reverse
 * order, so nothing of one test still runs when the next empties the tables. Call inside a
 * `describe`.
 */
export function useWebhookSuite(kind: DatabaseKind) {
  let database: TestDatabase;
  const cleanup: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  beforeEach(async () => {
    await emptyTables(database);
  });
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  afterAll(async () => {
    await database?.dispose();
  });
  return {
    database: () => database,
    async receiver(handler?: Parameters<typeof startWebhookReceiver>[0]): Promise<WebhookReceiver> {
      const r = await startWebhookReceiver(handler);
      cleanup.push(() => r.close());
      return r;
    },
    async harness(options: Parameters<typeof webhookHarness>[1] = {}) {
      const h = await webhookHarness(database, options);
      cleanup.push(() => h.close());
      return h;
    },
    /** Registers extra cleanup for this test. */
    defer(fn: () => Promise<void>) {
      cleanup.push(fn);
    },
  };
}
