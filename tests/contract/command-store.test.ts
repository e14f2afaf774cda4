import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresCommandStore } from '../../src/adapters/postgres/postgres-command-store.js';
import { outputEventBytes } from '../../src/domain/command.js';
import { IdempotencyKeyTakenError } from '../../src/domain/errors.js';
import { type NewCommand, type NewOutputEvent, OutputRejectedError } from '../../src/ports/command-store.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/test-databases.js';

const command = (projectName: string, over: Partial<NewCommand> = {}): NewCommand => ({
  projectName,
  type: 'SHELL',
  priority: 50,
  argv: ['true'],
  prompt: null,
  stdin: null,
  env: {},
  cwd: null,
  timeoutSeconds: 60,
  claude: null,
  idempotencyKey: null,
  requestHash: 'h',
  requestedByKeyId: null,
  ...over,
});
const end = { status: 'SUCCEEDED' as const, exitCode: 0, signal: null, error: null };
const progress = { stdoutOffset: 0, stderrOffset: 0, storedBytesDelta: 0 };

/**
 * The queue, lease and output rules several replicas rely on, on one database: each replica is
 * a store with its own owner id (and, on PostgreSQL, its own connections of the pool).
 */
describe.each(DATABASE_KINDS)('command store on %s', (kind) => {
  let database: TestDatabase;
  let store: PostgresCommandStore;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    store = new PostgresCommandStore(database.db);
  });
  afterAll(async () => {
    await database.dispose();
  });

  it('never lets concurrent claimers run more than the project limit, and claims each command once', async () => {
    const project = `limit-${kind}`;
    for (let i = 0; i < 24; i++) await store.insert(command(project, { priority: i % 7 }));
    const claimedBy = new Map<string, string>();
    let maxRunning = 0;
    const countRunning = async () =>
      (
        await sql<{
          n: number;
        }>`SELECT count(*)::int AS n FROM commands WHERE project_name = ${project} AND status = 'RUNNING'`.execute(
          database.db,
        )
      ).rows[0]!.n;
    const replica = async (owner: string) => {
      for (let round = 0; round < 200 && claimedBy.size < 24; round++) {
        const got = await store.claim(project, 3, owner, 30_000, 30);
        maxRunning = Math.max(maxRunning, await countRunning());
        for (const c of got) {
          expect(claimedBy.has(c.id), `${c.id} claimed twice`).toBe(false);
          claimedBy.set(c.id, owner);
        }
        // Finish what this replica runs, a little later.
        await new Promise((r) => setTimeout(r, 2));
        for (const c of got) expect(await store.finish(c.id, end, new Date(), owner)).not.toBeNull();
      }
    };
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((o) => replica(`${kind}-${o}`)));
    expect(claimedBy.size).toBe(24);
    expect(maxRunning).toBeLessThanOrEqual(3);
    expect(maxRunning).toBeGreaterThan(0);
  });

  it('refuses a taken idempotency key with a domain error', async () => {
    const project = `idempotency-${kind}`;
    const first = await store.insert(command(project, { idempotencyKey: 'retry-1' }));
    const again = store.insert(command(project, { idempotencyKey: 'retry-1', requestHash: 'other' }));
    await expect(again).rejects.toBeInstanceOf(IdempotencyKeyTakenError);
    await expect(again).rejects.toMatchObject({ code: 'CONFLICT', details: { idempotencyKey: 'retry-1' } });
    expect((await store.findByIdempotencyKey(null, 'retry-1'))?.id).toBe(first.id);
    // Commands without a key never conflict.
    await store.insert(command(project));
    await store.insert(command(project));
  });

  it('ends a command exactly once, and only by the replica holding its lease', async () => {
    const { id } = await store.insert(command(`finish-${kind}`));
    const [claimed] = await store.claim(`finish-${kind}`, 1, 'A', 30_000, 30);
    expect(claimed!.id).toBe(id);
    await store.appendOutput(id, 'A', [{ stream: 'STDOUT', data: 'hello\n' }], progress);
    expect(await store.finish(id, end, new Date(), 'B')).toBeNull();
    const results = await Promise.all([
      store.finish(id, end, new Date(), 'A'),
      store.finish(id, { ...end, status: 'FAILED' }, new Date(), 'A'),
      store.finish(id, { ...end, status: 'CANCELLED' }, new Date()),
    ]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    const output = await store.readOutput(id, 0, 100);
    expect(output.map((e) => e.seq)).toEqual([1, 2]);
    expect(output.filter((e) => e.end)).toHaveLength(1);
    // A finished command takes no more output.
    expect(await store.appendOutput(id, 'A', [{ stream: 'STDOUT', data: 'late' }], progress)).toBeNull();
  });

  it('hands an expired lease to an adopter, after which the old holder can neither append nor end', async () => {
    const project = `adopt-${kind}`;
    const { id } = await store.insert(command(project));
    await store.claim(project, 1, 'A', 30_000, 30);
    expect(
      await store.appendOutput(id, 'A', [{ stream: 'STDOUT', data: 'one' }], {
        ...progress,
        stdoutOffset: 3,
      }),
    ).toEqual({
      firstSeq: 1,
      lastSeq: 1,
    });
    // A live lease is not adopted.
    expect(await store.adopt('B', 30_000, 10)).toEqual([]);
    await sql`UPDATE commands SET lease_expires_at = now() - interval '1 second' WHERE id = ${id}`.execute(
      database.db,
    );
    const [adopted] = await store.adopt('B', 30_000, 10);
    expect(adopted).toMatchObject({ id, stdoutOffset: 3, lastSeq: 1 });
    expect(await store.appendOutput(id, 'A', [{ stream: 'STDOUT', data: 'stale' }], progress)).toBeNull();
    expect(await store.renewLeases('A', [id], 30_000)).toEqual([]);
    expect(await store.finish(id, end, new Date(), 'A')).toBeNull();
    expect(
      await store.appendOutput(id, 'B', [{ stream: 'STDOUT', data: 'two' }], {
        ...progress,
        stdoutOffset: 6,
      }),
    ).toEqual({
      firstSeq: 2,
      lastSeq: 2,
    });
    // A replica whose own follower died takes its expired lease back too.
    await sql`UPDATE commands SET lease_expires_at = now() - interval '1 second' WHERE id = ${id}`.execute(
      database.db,
    );
    expect((await store.adopt('B', 30_000, 10)).map((c) => c.id)).toEqual([id]);
    expect(await store.finish(id, end, new Date(), 'B')).not.toBeNull();
    expect((await store.readOutput(id, 0, 10)).map((e) => e.data)).toEqual([
      'one',
      'two',
      'command succeeded (exit code 0)\n',
    ]);
  });

  it('claims by priority with aging, and reports queue positions', async () => {
    const project = `order-${kind}`;
    const old = await store.insert(command(project, { priority: 10 }));
    await sql`UPDATE commands SET created_at = now() - interval '100 seconds' WHERE id = ${old.id}`.execute(
      database.db,
    );
    const high = await store.insert(command(project, { priority: 60 }));
    const mid = await store.insert(command(project, { priority: 40 }));
    // Aging: 100 s at one point per 2 s lifts 10 to 60, and it is older than `high`.
    expect(await store.queuePosition(old.id, 2)).toBe(1);
    expect(await store.queuePosition(high.id, 2)).toBe(2);
    expect(await store.queuePosition(mid.id, 2)).toBe(3);
    // Without aging worth a point, priority alone decides.
    expect(await store.queuePosition(old.id, 86_400)).toBe(3);
    expect((await store.claim(project, 2, 'A', 30_000, 2)).map((c) => c.id).sort()).toEqual(
      [old.id, high.id].sort(),
    );
    expect(await store.queuePosition(mid.id, 2)).toBe(1);
    expect(await store.queuePosition(high.id, 2)).toBeNull();
  });

  it('cuts output pages at a byte budget, always returning at least one event', async () => {
    const project = `pages-${kind}`;
    const { id } = await store.insert(command(project));
    await store.claim(project, 1, 'A', 30_000, 30);
    const events = Array.from({ length: 10 }, (_, i) => ({
      stream: 'STDOUT' as const,
      data: `${i}`.repeat(1000),
    }));
    await store.appendOutput(id, 'A', events, progress);
    expect((await store.readOutput(id, 0, 100, 2500)).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect((await store.readOutput(id, 3, 100, 10)).map((e) => e.seq)).toEqual([4]);
    expect((await store.readOutput(id, 0, 4)).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(await store.readOutput(id, 10, 100, 10)).toEqual([]);
  });

  it('gives each output event the time it was stored, to the millisecond, as the driver reads it', async () => {
    const project = `times-${kind}`;
    const { id } = await store.insert(command(project));
    await store.claim(project, 1, 'A', 30_000, 30);
    await store.appendOutput(
      id,
      'A',
      ['a', 'b', 'c'].map((data) => ({ stream: 'STDOUT' as const, data })),
      progress,
    );
    // Microseconds just below and at a millisecond, and a time zone that is not UTC in the text.
    const stamps = [
      '2026-03-01 12:00:00.123999+00',
      '2026-03-01 12:00:00.124+00',
      '1999-12-31 23:59:59.9995-05',
    ];
    for (const [i, at] of stamps.entries()) {
      await sql`UPDATE command_output SET at = ${at}::timestamptz WHERE command_id = ${id} AND seq = ${i + 1}`.execute(
        database.db,
      );
    }
    const expected = await sql<{
      at: Date;
    }>`SELECT at FROM command_output WHERE command_id = ${id} ORDER BY seq`.execute(database.db);
    const read = await store.readOutput(id, 0, 10);
    expect(read.map((e) => e.at.toISOString())).toEqual(expected.rows.map((r) => r.at.toISOString()));
    expect(read.map((e) => e.at.toISOString())).toEqual([
      '2026-03-01T12:00:00.123Z',
      '2026-03-01T12:00:00.124Z',
      '2000-01-01T04:59:59.999Z',
    ]);
  });

  it('keeps exact bytes beside the text, and reads events stored without bytes as their UTF-8', async () => {
    const project = `bytes-${kind}`;
    const { id } = await store.insert(command(project));
    await store.claim(project, 1, 'A', 30_000, 30);
    const binary = Uint8Array.of(0x00, 0xff, 0x61, 0xe2, 0x82);
    const events: NewOutputEvent[] = [
      { stream: 'STDOUT', data: '\0\uFFFDa\uFFFD', bytes: binary },
      { stream: 'STDERR', data: 'é€😀\n', bytes: Buffer.from('é€😀\n') },
      { stream: 'SYSTEM', data: 'plain' },
    ];
    await store.appendOutput(id, 'A', events, progress);
    // An event from before the bytes column: its text alone.
    await sql`INSERT INTO command_output (command_id, seq, stream, data) VALUES (${id}, 4, 'STDOUT', 'old ü')`.execute(
      database.db,
    );
    const stored = await sql<{ bytes: Uint8Array | null }>`
      SELECT bytes FROM command_output WHERE command_id = ${id} ORDER BY seq`.execute(database.db);
    // Only the event whose text is not its bytes takes room for them.
    expect(stored.rows.map((r) => r.bytes !== null)).toEqual([true, false, false, false]);
    const read = await store.readOutput(id, 0, 10);
    expect(read.map((e) => e.data)).toEqual(['\uFFFD\uFFFDa\uFFFD', 'é€😀\n', 'plain', 'old ü']);
    expect(read.map((e) => Buffer.from(outputEventBytes(e)))).toEqual([
      Buffer.from(binary),
      Buffer.from('é€😀\n'),
      Buffer.from('plain'),
      Buffer.from('old ü'),
    ]);
  });

  it('refuses events the database rejects for their values with OutputRejectedError, storing nothing', async () => {
    const project = `rejected-${kind}`;
    const { id } = await store.insert(command(project));
    await store.claim(project, 1, 'A', 30_000, 30);
    await store.appendOutput(id, 'A', [{ stream: 'STDOUT', data: 'kept' }], progress);
    // The stream column's CHECK constraint: a data error the same events meet every time.
    const bad = [
      { stream: 'STDOUT' as const, data: 'a' },
      { stream: 'BOGUS' as never, data: 'b' },
    ];
    const error = await store
      .appendOutput(id, 'A', bad, { ...progress, stdoutOffset: 9 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputRejectedError);
    expect((error as Error).message).toMatch(/^the database refused it \(SQLSTATE 23514: .+\)$/);
    expect((await store.get(id))?.lastSeq).toBe(1);
    expect((await store.readOutput(id, 0, 10)).map((e) => e.data)).toEqual(['kept']);
  });
});
