import { type Kysely, sql } from 'kysely';
import type { RateLimitStore } from '../../ports/rate-limit-store.js';
import type { Database } from './schema.js';

/**
 * Rate-limit counters in PostgreSQL, shared by every replica. One statement checks and adds:
 * `ON CONFLICT DO UPDATE ... WHERE` re-evaluates the condition on the locked, newest row, so two
 * replicas cannot both take the last unit.
 */
export class PostgresRateLimitStore implements RateLimitStore {
  constructor(private readonly db: Kysely<Database>) {}

  async consume(input: {
    bucket: string;
    cost: number;
    limit: number;
    currentStart: number;
    previousStart: number;
    previousWeight: number;
  }): Promise<{ allowed: boolean; previous: number; current: number }> {
    const { bucket, cost, limit, currentStart, previousStart, previousWeight } = input;
    const result = await sql<{ count: number; previous: number }>`
      WITH prev AS (
        SELECT coalesce((SELECT count FROM rate_limit_windows WHERE bucket = ${bucket} AND window_start = ${previousStart}), 0) AS c
      )
      INSERT INTO rate_limit_windows AS w (bucket, window_start, count)
      SELECT ${bucket}, ${currentStart}, ${cost}::double precision FROM prev
      WHERE prev.c * ${previousWeight}::double precision + ${cost} <= ${limit}
      ON CONFLICT (bucket, window_start) DO UPDATE SET count = w.count + excluded.count
      WHERE (SELECT c FROM prev) * ${previousWeight}::double precision + w.count + excluded.count <= ${limit}
      RETURNING w.count, (SELECT c FROM prev) AS previous`.execute(this.db);
    const row = result.rows[0];
    if (row) return { allowed: true, previous: Number(row.previous), current: Number(row.count) };
    const counts = await sql<{ current: number | null; previous: number | null }>`
      SELECT
        (SELECT count FROM rate_limit_windows WHERE bucket = ${bucket} AND window_start = ${currentStart}) AS current,
        (SELECT count FROM rate_limit_windows WHERE bucket = ${bucket} AND window_start = ${previousStart}) AS previous`.execute(
      this.db,
    );
    const c = counts.rows[0];
    return { allowed: false, previous: Number(c?.previous ?? 0), current: Number(c?.current ?? 0) };
  }

  async prune(beforeMs: number): Promise<void> {
    await sql`DELETE FROM rate_limit_windows WHERE window_start < ${beforeMs}`.execute(this.db);
  }
}
