import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { openDatabase } from '../../src/adapters/postgres/database.js';
import { migrateToLatest } from '../../src/adapters/postgres/migrator.js';
import {
  createScratchPostgres,
  createTestDatabase,
  DATABASE_KINDS,
  POSTGRES_URL,
} from '../support/test-databases.js';

describe.each(DATABASE_KINDS)('migrations on %s', (kind) => {
  it('apply once and are idempotent', async () => {
    const database = await createTestDatabase(kind, { migrate: false });
    try {
      const first = await migrateToLatest(database.db, migrations);
      expect(first.applied).toEqual(migrations.map((m) => m.name));
      const second = await migrateToLatest(database.db, migrations);
      expect(second.applied).toEqual([]);
    } finally {
      await database.dispose();
    }
  });

  it('roll back entirely when one fails', async () => {
    const database = await createTestDatabase(kind, { migrate: false });
    try {
      const broken = [
        ...migrations,
        {
          name: '9999_broken',
          up: async (db: any) => void (await sql`SELECT * FROM no_such_table`.execute(db)),
        },
      ];
      await expect(migrateToLatest(database.db, broken)).rejects.toThrow();
      const tables = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'audit_events'`.execute(
        database.db,
      );
      expect(tables.rows[0]!.n).toBe(0);
    } finally {
      await database.dispose();
    }
  });
});

describe.runIf(POSTGRES_URL)('migrations on postgres with two processes', () => {
  it('are safe when several processes start at once', async () => {
    const scratch = await createScratchPostgres();
    const handles = await Promise.all(
      [1, 2, 3].map(() => openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 2 })),
    );
    try {
      const results = await Promise.all(handles.map((h) => migrateToLatest(h.db, migrations)));
      const applied = results.flatMap((r) => r.applied);
      expect(applied).toEqual(migrations.map((m) => m.name));
    } finally {
      await Promise.all(handles.map((h) => h.close()));
      await scratch.drop();
    }
  });
});
