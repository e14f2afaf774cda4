import { type Kysely, sql } from 'kysely';

export interface MigrationDefinition {
  name: string;
  up(db: Kysely<any>): Promise<void>;
}

// Any constant works; it only has to be the same for every rdev process on one database.
const MIGRATION_LOCK_KEY = 7_317_001;

/**
 * Applies pending migrations in one transaction under an advisory lock, so two processes starting
 * at once on one PostgreSQL serialise: the second waits, then sees nothing left to do. A failing
 * migration rolls everything back, leaving the database as it was.
 */
export async function migrateToLatest(
  db: Kysely<any>,
  migrations: readonly MigrationDefinition[],
): Promise<{ applied: string[] }> {
  return db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(tx);
    await sql`
      CREATE TABLE IF NOT EXISTS rdev_migrations (
        name text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`.execute(tx);
    const done = await sql<{ name: string }>`SELECT name FROM rdev_migrations`.execute(tx);
    const doneNames = new Set(done.rows.map((r) => r.name));
    const known = new Set(migrations.map((m) => m.name));
    const unknown = [...doneNames].filter((n) => !known.has(n));
    if (unknown.length > 0) {
      throw new Error(
        `The database has migrations this rdev does not know (${unknown.join(', ')}): it was migrated by a newer version.`,
      );
    }
    const applied: string[] = [];
    for (const migration of migrations) {
      if (doneNames.has(migration.name)) continue;
      await migration.up(tx);
      await sql`INSERT INTO rdev_migrations (name) VALUES (${migration.name})`.execute(tx);
      applied.push(migration.name);
    }
    return { applied };
  });
}
