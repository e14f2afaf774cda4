import { InProcessEventBus } from '../adapters/memory/in-process-event-bus.js';
import { PostgresEventBus } from '../adapters/postgres/postgres-event-bus.js';
import type { Logger } from '../observability/logger.js';
import type { EventBus } from '../ports/event-bus.js';
import type { HealthCheck } from '../ports/health-check.js';
import type { AppDatabase } from './build-database.js';

/** Events between the parts of this replica and, on PostgreSQL, between replicas. */
export interface AppEvents {
  bus: EventBus;
  /** The LISTEN connection's check, on PostgreSQL; none for the in-process bus. */
  healthChecks: HealthCheck[];
  close(): Promise<void>;
}

/** One process owns an embedded database; with PostgreSQL, replicas talk through LISTEN/NOTIFY. */
export async function buildEventBus(database: AppDatabase, logger: Logger): Promise<AppEvents> {
  const { kind, url } = database.handle;
  if (kind !== 'postgres' || !url) {
    return { bus: new InProcessEventBus(), healthChecks: [], close: async () => {} };
  }
  const bus = new PostgresEventBus({
    url,
    db: database.db,
    onError: (error) => logger.warn({ err: error }, 'event bus connection lost; reconnecting'),
  });
  await bus.start();
  return {
    bus,
    healthChecks: [
      {
        name: 'events',
        check: async () => {
          if (!bus.isConnected) throw new Error('the LISTEN connection is down');
        },
      },
    ],
    close: () => bus.close(),
  };
}
