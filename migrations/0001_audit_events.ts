import { type Kysely, sql } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE audit_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor_key_id uuid,
      actor_component text,
      client_ip text,
      action text NOT NULL,
      target_type text NOT NULL,
      target_id text,
      outcome text NOT NULL CHECK (outcome IN ('SUCCESS', 'FAILURE', 'DENIED')),
      details jsonb NOT NULL DEFAULT '{}'::jsonb,
      request_id text
    )`.execute(db);
  await sql`CREATE INDEX audit_events_action_idx ON audit_events (action, id DESC)`.execute(db);
  await sql`CREATE INDEX audit_events_actor_idx ON audit_events (actor_key_id, id DESC)`.execute(db);
  await sql`CREATE INDEX audit_events_target_idx ON audit_events (target_type, target_id, id DESC)`.execute(
    db,
  );
  await sql`CREATE INDEX audit_events_at_idx ON audit_events (at)`.execute(db);
  // Append-only: the database itself refuses to rewrite history.
  await sql`
    CREATE FUNCTION rdev_audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_events is append-only';
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION rdev_audit_events_append_only()`.execute(db);
}
