import { type Kysely, sql } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  // Commands whose stdin stays open take input while they run. Accepted input is counted on the
  // command (sequence and bytes) so that each new piece gets its number and byte offset under the
  // command's row lock; `input_delivered_seq` is how far the replica holding the lease has
  // written it into the run folder, so a replica that takes over starts after it.
  await sql`ALTER TABLE commands ADD COLUMN open_stdin boolean NOT NULL DEFAULT false`.execute(db);
  await sql`ALTER TABLE commands ADD COLUMN input_seq int NOT NULL DEFAULT 0`.execute(db);
  await sql`ALTER TABLE commands ADD COLUMN input_bytes bigint NOT NULL DEFAULT 0`.execute(db);
  await sql`ALTER TABLE commands ADD COLUMN input_delivered_seq int NOT NULL DEFAULT 0`.execute(db);
  await sql`ALTER TABLE commands ADD COLUMN input_eof boolean NOT NULL DEFAULT false`.execute(db);
  // Input waiting for delivery; a row is deleted once it is in the run folder, so typed secrets
  // do not rest in the database longer than needed.
  await sql`
    CREATE TABLE command_input (
      command_id uuid NOT NULL REFERENCES commands (id) ON DELETE CASCADE,
      seq int NOT NULL,
      byte_offset bigint NOT NULL,
      data bytea NOT NULL,
      eof boolean NOT NULL,
      at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (command_id, seq)
    )`.execute(db);
}
