import { type Kysely, sql } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  // Trace ids go to a receiver only when its webhook asks for them: receivers are often outside
  // the operator's trust, and a `traceparent` tells them about rdev's internal traces.
  await sql`ALTER TABLE webhooks ADD COLUMN send_trace_context boolean NOT NULL DEFAULT false`.execute(db);
}
