import { sql } from 'kysely';
import { beforeEach, describe, expect, it } from 'vitest';
import { PostgresAuditLog } from '../../src/adapters/postgres/postgres-audit-log.js';
import { createPostgresStores } from '../../src/adapters/postgres/postgres-stores.js';
import { PostgresUnitOfWork } from '../../src/adapters/postgres/postgres-unit-of-work.js';
import type { NewAuditEvent } from '../../src/domain/audit.js';
import { DATABASE_KINDS, type TestDatabase, useSharedDatabase } from '../support/test-databases.js';

const event = (over: Partial<NewAuditEvent> = {}): NewAuditEvent => ({
  actorKeyId: null,
  actorComponent: 'test',
  clientIp: '127.0.0.1',
  action: 'thing.create',
  targetType: 'thing',
  targetId: 't1',
  outcome: 'SUCCESS',
  details: { n: 1 },
  requestId: 'req-1',
  ...over,
});

describe.each(DATABASE_KINDS)('audit log store on %s', (kind) => {
  const shared = useSharedDatabase(kind);
  let database: TestDatabase;
  beforeEach(() => {
    database = shared();
  });

  it('records events and lists them newest first with keyset pages', async () => {
    const log = new PostgresAuditLog(database.db);
    for (let i = 0; i < 5; i++) await log.record(event({ targetId: `t${i}` }));
    const first = await log.list({}, { first: 2 });
    expect(first.items.map((e) => e.targetId)).toEqual(['t4', 't3']);
    expect(first.hasNextPage).toBe(true);
    const second = await log.list({}, { first: 10, after: first.cursors[1] });
    expect(second.items.map((e) => e.targetId)).toEqual(['t2', 't1', 't0']);
    expect(second.hasNextPage).toBe(false);
    expect(second.items[0]).toMatchObject({
      action: 'thing.create',
      outcome: 'SUCCESS',
      details: { n: 1 },
      clientIp: '127.0.0.1',
    });
  });

  it('filters by action, target and time range', async () => {
    const log = new PostgresAuditLog(database.db);
    await log.record(event({ action: 'a.one', targetId: 'x' }));
    await log.record(event({ action: 'a.two', targetId: 'y' }));
    expect((await log.list({ action: 'a.two' }, { first: 10 })).items.map((e) => e.targetId)).toEqual(['y']);
    expect((await log.list({ targetType: 'thing', targetId: 'x' }, { first: 10 })).items).toHaveLength(1);
    expect((await log.list({ from: new Date(Date.now() + 60_000) }, { first: 10 })).items).toHaveLength(0);
  });

  it('is append-only: the database refuses updates and deletes', async () => {
    const log = new PostgresAuditLog(database.db);
    await log.record(event());
    await expect(sql`UPDATE audit_events SET action = 'forged'`.execute(database.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`DELETE FROM audit_events`.execute(database.db)).rejects.toThrow(/append-only/);
  });

  it('ages out: deletes events past the retention period in batches, and never a recent one', async () => {
    const log = new PostgresAuditLog(database.db);
    const at = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000);
    for (const [targetId, daysAgo] of [
      ['old-1', 400],
      ['old-2', 30],
      ['old-3', 2],
    ] as const) {
      await sql`INSERT INTO audit_events (at, action, target_type, target_id, outcome)
        VALUES (${at(daysAgo)}, 'thing.create', 'thing', ${targetId}, 'SUCCESS')`.execute(database.db);
    }
    await log.record(event({ targetId: 'new' }));
    expect(await log.deleteBefore(at(1), 2)).toBe(2);
    expect(await log.deleteBefore(at(1), 2)).toBe(1);
    expect(await log.deleteBefore(at(1), 2)).toBe(0);
    expect((await log.list({}, { first: 10 })).items.map((e) => e.targetId)).toEqual(['new']);
    // A row younger than a day stays, whoever asks.
    await expect(log.deleteBefore(new Date(Date.now() + 60_000), 10)).rejects.toThrow(/append-only/);
    await expect(sql`UPDATE audit_events SET action = 'forged'`.execute(database.db)).rejects.toThrow(
      /append-only/,
    );
  });

  it('commits with the unit of work and vanishes when it rolls back', async () => {
    const uow = new PostgresUnitOfWork(database.db, createPostgresStores);
    await uow.run(async ({ audit }) => {
      await audit.record(event({ targetId: 'kept' }));
    });
    await expect(
      uow.run(async ({ audit }) => {
        await audit.record(event({ targetId: 'lost' }));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const all = await new PostgresAuditLog(database.db).list({}, { first: 10 });
    expect(all.items.map((e) => e.targetId)).toEqual(['kept']);
  });
});
