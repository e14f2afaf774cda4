import { type Kysely, sql } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  // UNLOGGED: counters are worth nothing after a crash, and skipping the WAL keeps them cheap.
  await sql`
    CREATE UNLOGGED TABLE rate_limit_windows (
      bucket text NOT NULL,
      window_start bigint NOT NULL,
      count double precision NOT NULL,
      PRIMARY KEY (bucket, window_start)
    )`.execute(db);
  await sql`ALTER TABLE api_keys ADD COLUMN rate_limit int CHECK (rate_limit > 0)`.execute(db);
}
