import { type Kysely, sql } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE webhooks (
      id uuid PRIMARY KEY,
      url text NOT NULL,
      events text[] NOT NULL,
      project_names text[],
      description text,
      enabled boolean NOT NULL DEFAULT true,
      disabled_reason text,
      disabled_at timestamptz,
      failing_since timestamptz,
      created_by_key_id uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX webhooks_created_idx ON webhooks (created_at DESC, id DESC)`.execute(db);
  // Signing secrets. rdev needs the key to sign, so these are not digests; they never leave
  // through the API after the mutation that made them. Two rows while a rotation overlaps.
  await sql`
    CREATE TABLE webhook_secrets (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
      secret text NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX webhook_secrets_webhook_idx ON webhook_secrets (webhook_id, id DESC)`.execute(db);
  // The outbox. The body is stored as the exact text sent, never re-serialised.
  await sql`
    CREATE TABLE webhook_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      message_id text NOT NULL UNIQUE,
      type text NOT NULL,
      project_name text,
      body text NOT NULL,
      created_at timestamptz NOT NULL
    )`.execute(db);
  await sql`
    CREATE TABLE webhook_deliveries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
      event_id bigint NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
      status text NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
      attempt_count integer NOT NULL DEFAULT 0,
      failed_automatic_attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz,
      manual_requested boolean NOT NULL DEFAULT false,
      resume_after_manual boolean NOT NULL DEFAULT false,
      claim_token uuid,
      claimed_until timestamptz,
      last_attempt_at timestamptz,
      last_status_code integer,
      last_error text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      UNIQUE (webhook_id, event_id)
    )`.execute(db);
  // The worker's claim scans only what is waiting.
  await sql`
    CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE status = 'PENDING'`.execute(db);
  await sql`
    CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at DESC, id DESC)`.execute(
    db,
  );
  await sql`CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id)`.execute(db);
  await sql`
    CREATE TABLE webhook_attempts (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
      at timestamptz NOT NULL,
      manual boolean NOT NULL,
      succeeded boolean NOT NULL,
      status_code integer,
      duration_ms integer NOT NULL,
      error text,
      response_excerpt text
    )`.execute(db);
  await sql`CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id DESC)`.execute(
    db,
  );
}
