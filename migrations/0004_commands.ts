import { type Kysely, sql } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE commands (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_name text NOT NULL,
      type text NOT NULL CHECK (type IN ('CLAUDE', 'SHELL', 'GIT')),
      status text NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'LOST')),
      priority int NOT NULL CHECK (priority BETWEEN 0 AND 100),
      argv text[] NOT NULL,
      prompt text,
      stdin bytea,
      env jsonb,
      env_names text[] NOT NULL DEFAULT '{}',
      cwd text,
      timeout_seconds int NOT NULL,
      claude_options jsonb,
      claude_session jsonb,
      idempotency_key text,
      request_hash text NOT NULL,
      requested_by uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz,
      exit_code int,
      signal text,
      error text,
      cancel_requested_at timestamptz,
      stdout_offset bigint NOT NULL DEFAULT 0,
      stderr_offset bigint NOT NULL DEFAULT 0,
      last_seq int NOT NULL DEFAULT 0,
      stored_bytes bigint NOT NULL DEFAULT 0,
      output_truncated boolean NOT NULL DEFAULT false,
      last_output_at timestamptz,
      lease_owner text,
      lease_expires_at timestamptz,
      start_attempts int NOT NULL DEFAULT 0
    )`.execute(db);
  await sql`
    CREATE UNIQUE INDEX commands_idempotency_idx ON commands (coalesce(requested_by, '00000000-0000-0000-0000-000000000000'::uuid), idempotency_key)
    WHERE idempotency_key IS NOT NULL`.execute(db);
  await sql`CREATE INDEX commands_queue_idx ON commands (project_name, priority DESC, created_at) WHERE status = 'QUEUED'`.execute(
    db,
  );
  await sql`CREATE INDEX commands_running_idx ON commands (project_name, lease_expires_at) WHERE status = 'RUNNING'`.execute(
    db,
  );
  await sql`CREATE INDEX commands_created_idx ON commands (created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX commands_project_created_idx ON commands (project_name, created_at DESC, id DESC)`.execute(
    db,
  );
  await sql`
    CREATE TABLE command_output (
      command_id uuid NOT NULL REFERENCES commands (id) ON DELETE CASCADE,
      seq int NOT NULL,
      stream text NOT NULL CHECK (stream IN ('STDOUT', 'STDERR', 'SYSTEM')),
      data text NOT NULL,
      claude jsonb,
      "end" jsonb,
      at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (command_id, seq)
    )`.execute(db);
}
