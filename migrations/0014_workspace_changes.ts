import { type Kysely, sql } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  // The repository's status when a command started, so its end can say what the command changed.
  await sql`ALTER TABLE commands ADD COLUMN git_status_at_start jsonb`.execute(db);
  // What changed between the start and the end (git status entries); null outside a repository.
  await sql`ALTER TABLE commands ADD COLUMN workspace_changes jsonb`.execute(db);
}
