import { type Kysely, sql } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE api_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      display_prefix text NOT NULL,
      scopes text[] NOT NULL,
      project_names text[],
      allowed_ips text[] NOT NULL DEFAULT '{}',
      expires_at timestamptz,
      created_by uuid REFERENCES api_keys (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz,
      last_used_at timestamptz,
      last_used_ip text
    )`.execute(db);
  await sql`CREATE INDEX api_keys_created_idx ON api_keys (created_at DESC, id DESC)`.execute(db);
  // Only digests are stored. A key has one secret, or two while a rotation's grace period runs.
  await sql`
    CREATE TABLE api_key_secrets (
      digest text PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
      key_id uuid NOT NULL REFERENCES api_keys (id),
      display_prefix text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX api_key_secrets_key_idx ON api_key_secrets (key_id)`.execute(db);
}
