import { type Kysely, sql } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  // The exact bytes a command wrote, for the events whose text is not them: invalid UTF-8 and NUL
  // bytes, which the text column cannot hold as they were. NULL means the bytes are the UTF-8 of
  // `data`, true of every event stored before this column and of all valid text since, so the
  // column costs nothing for ordinary output and adding it rewrites no row.
  await sql`ALTER TABLE command_output ADD COLUMN bytes bytea`.execute(db);
}
