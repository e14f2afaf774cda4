import { type Kysely, sql } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  // The W3C `traceparent` of the request that queued a command, so the replica that claims and
  // runs it later continues that trace.
  await sql`ALTER TABLE commands ADD COLUMN trace_context text`.execute(db);
  // The same for webhook events: attempts, however late, are linked to what caused them.
  await sql`ALTER TABLE webhook_events ADD COLUMN trace_context text`.execute(db);
}
