import { type Kysely, sql } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  // Still append-only, with one exception: rows older than a day may be deleted, so a retention
  // setting can age the log out. A row is never changed, and a recent one never removed.
  await sql`
    CREATE OR REPLACE FUNCTION rdev_audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' AND OLD.at < now() - interval '1 day' THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'audit_events is append-only';
    END
    $$`.execute(db);
}
