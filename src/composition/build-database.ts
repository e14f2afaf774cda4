import type { Kysely } from 'kysely';
import { migrations } from '../../migrations/index.js';
import {
  type DatabaseHandle,
  describeOpening,
  openReachableDatabase,
} from '../adapters/postgres/database.js';
import { migrateToLatest } from '../adapters/postgres/migrator.js';
import { createPostgresStores } from '../adapters/postgres/postgres-stores.js';
import { PostgresUnitOfWork } from '../adapters/postgres/postgres-unit-of-work.js';
import { QueryInstrumentation } from '../adapters/postgres/query-instrumentation.js';
import type { Database } from '../adapters/postgres/schema.js';
import type { Config } from '../config.js';
import { announceIfSlow, type StartupProgress } from '../observability/slow-step.js';
import type { HealthCheck } from '../ports/health-check.js';
import type { TransactionalStores, UnitOfWork } from '../ports/unit-of-work.js';
import type { Telemetry } from './build-telemetry.js';

/** The migrated database and the stores over it. */
export interface AppDatabase {
  /** The database as opened: its kind, its connection settings. */
  handle: DatabaseHandle;
  /** Kysely with this app's query timing and tracing: every store is built on it. */
  db: Kysely<Database>;
  stores: TransactionalStores;
  unitOfWork: UnitOfWork;
  healthCheck: HealthCheck;
  /** Stops timing queries; closes the database unless it was handed in already open. */
  close(): Promise<void>;
}

/**
 * Opens the configured database (or takes `given`, which stays open), migrates it, builds the
 * stores. Opening and migrating are announced to `progress` when they take a while.
 */
export async function buildDatabase(
  config: Config,
  { logger, metrics, tracing }: Telemetry,
  given?: DatabaseHandle,
  progress?: StartupProgress,
): Promise<AppDatabase> {
  const handle =
    given ??
    (await announceIfSlow(progress, `${describeOpening(config.database)}…`, () =>
      openReachableDatabase(config.database, 'DATABASE_URL'),
    ));
  const { applied } = await announceIfSlow(progress, 'applying database migrations…', () =>
    migrateToLatest(handle.db, migrations),
  );
  if (applied.length > 0) logger.info({ applied }, 'database migrated');

  // Every query of this app is timed and traced (apps sharing a database in tests keep their own).
  const queries = new QueryInstrumentation({
    tracer: tracing.tracer,
    onQuery: (seconds, failed) => {
      metrics.dbQueries.inc({ outcome: failed ? 'error' : 'ok' });
      metrics.dbQueryDuration.observe(seconds);
    },
  });
  const stopQueryErrors = handle.onQueryError((queryId, error) => queries.failed(queryId, error));
  const db = handle.db.withPlugin(queries);
  return {
    handle,
    db,
    stores: createPostgresStores(db),
    unitOfWork: new PostgresUnitOfWork(db, createPostgresStores),
    healthCheck: { name: 'database', check: () => handle.ping() },
    async close() {
      stopQueryErrors();
      if (!given) await handle.close();
    },
  };
}
