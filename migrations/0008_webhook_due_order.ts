import { type Kysely, sql } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  // Claims take due deliveries in (next_attempt_at, id) order: with both columns in the index the
  // claim reads the first few rows and stops, instead of sorting every pending row each time.
  await sql`DROP INDEX webhook_deliveries_due_idx`.execute(db);
  await sql`
    CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id)
    WHERE status = 'PENDING'`.execute(db);
}
