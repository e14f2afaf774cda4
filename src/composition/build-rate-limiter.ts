import { MemoryRateLimitStore } from '../adapters/memory/memory-rate-limit-store.js';
import { PostgresRateLimitStore } from '../adapters/postgres/postgres-rate-limit-store.js';
import type { Config } from '../config.js';
import { systemClock } from '../domain/clock.js';
import { RateLimiter } from '../engine/rate-limiter.js';
import type { AppDatabase } from './build-database.js';
import type { Telemetry } from './build-telemetry.js';

/**
 * The sliding-window limits: counted in PostgreSQL so they hold across replicas, in memory for
 * the embedded database (one process).
 */
export function buildRateLimiter(
  config: Config,
  database: AppDatabase,
  { logger, metrics }: Pick<Telemetry, 'logger' | 'metrics'>,
): RateLimiter {
  return new RateLimiter({
    store:
      database.handle.kind === 'postgres'
        ? new PostgresRateLimitStore(database.db)
        : new MemoryRateLimitStore(),
    clock: systemClock,
    windowSeconds: config.rateLimits.windowSeconds,
    defaultKeyLimit: config.rateLimits.perKey,
    anonymousLimit: config.rateLimits.anonymous,
    timeoutMs: config.rateLimits.timeoutMs,
    failurePolicy: config.rateLimits.failurePolicy,
    onStoreError: (error) => {
      metrics.rateLimitStoreErrors.inc();
      logger.warn({ err: error }, `rate-limit store failed; failing ${config.rateLimits.failurePolicy}`);
    },
    onLimited: (subject) => metrics.rateLimited.inc({ subject }),
  });
}
