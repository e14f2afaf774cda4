import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresCommandStore } from '../../src/adapters/postgres/postgres-command-store.js';
import type { CommandStatus } from '../../src/domain/command.js';
import type { NewCommand } from '../../src/ports/command-store.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/test-databases.js';

/**
 * Random interleavings of what replicas do to the queue (enqueue, claim, append, finish, cancel,
 * requeue, renew, release, adopt) and of leases running out, checked step by step against a model
 * of the rules: a project never runs more than its limit, claims go by priority then age, only the
 * lease holder writes, a command ends once with one end event, seqs have no gaps.
 */

const LIMITS: Record<string, number> = { p1: 2, p2: 1 };
const OWNERS = ['A', 'B', 'C'];
const LEASE_MS = 600_000;
const AGING_SECONDS = 86_400;

interface ModelCommand {
  id: string;
  project: string;
  priority: number;
  order: number;
  status: CommandStatus;
  owner: string | null;
  leaseExpired: boolean;
  lastSeq: number;
}
interface Model {
  commands: ModelCommand[];
}
interface Real {
  store: PostgresCommandStore;
  db: TestDatabase['db'];
  /** This run's prefix of project names, so runs never see each other's commands. */
  prefix: string;
}

const isLive = (c: ModelCommand) => c.status === 'QUEUED' || c.status === 'RUNNING';
const pick = <T>(items: T[], n: number): T | undefined =>
  items.length ? items[n % items.length] : undefined;

function newCommand(projectName: string, priority: number): NewCommand {
  return {
    projectName,
    type: 'SHELL',
    priority,
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
  };
}

/** The database agrees with the model, and the output rules hold for every command. */
async function checkInvariants(model: Model, real: Real): Promise<void> {
  const rows = (
    await sql<{
      id: string;
      project_name: string;
      status: string;
      lease_owner: string | null;
      expired: boolean;
      last_seq: number;
      seqs: number[] | null;
      ends: number;
      end_seq: number | null;
    }>`SELECT c.id, c.project_name, c.status, c.lease_owner, coalesce(c.lease_expires_at < now(), false) AS expired,
          c.last_seq, array_agg(o.seq ORDER BY o.seq) FILTER (WHERE o.seq IS NOT NULL) AS seqs,
          count(o."end")::int AS ends, max(o.seq) FILTER (WHERE o."end" IS NOT NULL) AS end_seq
        FROM commands c LEFT JOIN command_output o ON o.command_id = c.id
        WHERE c.project_name LIKE ${`${real.prefix}%`} GROUP BY c.id`.execute(real.db)
  ).rows;
  const byId = new Map(rows.map((r) => [r.id, r]));
  expect(rows).toHaveLength(model.commands.length);
  for (const c of model.commands) {
    const row = byId.get(c.id)!;
    expect({ id: c.id, status: row.status, owner: row.lease_owner, lastSeq: row.last_seq }).toEqual({
      id: c.id,
      status: c.status,
      owner: c.owner,
      lastSeq: c.lastSeq,
    });
    if (c.status === 'RUNNING') expect(row.expired, `lease of ${c.id}`).toBe(c.leaseExpired);
    // Seqs from 1 without a gap; exactly one end event, the last one, once terminal.
    expect(row.seqs ?? []).toEqual(Array.from({ length: row.last_seq }, (_, i) => i + 1));
    expect(row.ends).toBe(isLive(c) ? 0 : 1);
    if (!isLive(c)) expect(row.end_seq).toBe(row.last_seq);
  }
  for (const [project, limit] of Object.entries(LIMITS)) {
    const running = rows.filter(
      (r) => r.project_name === `${real.prefix}${project}` && r.status === 'RUNNING',
    );
    expect(running.length).toBeLessThanOrEqual(limit);
  }
}

type Step = fc.AsyncCommand<Model, Real, false>;

class Enqueue implements Step {
  constructor(
    readonly project: string,
    readonly priority: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const c = await real.store.insert(newCommand(`${real.prefix}${this.project}`, this.priority));
    model.commands.push({
      id: c.id,
      project: this.project,
      priority: this.priority,
      order: model.commands.length,
      status: 'QUEUED',
      owner: null,
      leaseExpired: false,
      lastSeq: 0,
    });
    await checkInvariants(model, real);
  }
  toString = () => `enqueue(${this.project}, ${this.priority})`;
}

class Claim implements Step {
  constructor(
    readonly project: string,
    readonly owner: string,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const limit = LIMITS[this.project]!;
    const got = await real.store.claim(
      `${real.prefix}${this.project}`,
      limit,
      this.owner,
      LEASE_MS,
      AGING_SECONDS,
    );
    const mine = model.commands.filter((c) => c.project === this.project);
    const free = limit - mine.filter((c) => c.status === 'RUNNING').length;
    // The highest priority first, then the oldest: exactly as many as the free slots allow.
    const expected = mine
      .filter((c) => c.status === 'QUEUED')
      .sort((a, b) => b.priority - a.priority || a.order - b.order)
      .slice(0, Math.max(0, free));
    expect(got.map((c) => c.id).sort()).toEqual(expected.map((c) => c.id).sort());
    for (const c of expected) Object.assign(c, { status: 'RUNNING', owner: this.owner, leaseExpired: false });
    await checkInvariants(model, real);
  }
  toString = () => `claim(${this.project}, ${this.owner})`;
}

class Append implements Step {
  constructor(
    readonly n: number,
    readonly owner: string,
    readonly events: number,
  ) {}
  check = (model: Readonly<Model>) => model.commands.length > 0;
  async run(model: Model, real: Real) {
    const c = pick(model.commands, this.n)!;
    const events = Array.from({ length: this.events }, (_, i) => ({
      stream: 'STDOUT' as const,
      data: `${i}\n`,
    }));
    const result = await real.store.appendOutput(c.id, this.owner, events, {
      stdoutOffset: c.lastSeq * 2 + this.events * 2,
      stderrOffset: 0,
      storedBytesDelta: this.events * 2,
    });
    if (c.status === 'RUNNING' && c.owner === this.owner) {
      expect(result).toEqual({ firstSeq: c.lastSeq + 1, lastSeq: c.lastSeq + this.events });
      c.lastSeq += this.events;
    } else {
      expect(result).toBeNull();
    }
    await checkInvariants(model, real);
  }
  toString = () => `append(#${this.n}, ${this.owner}, ${this.events})`;
}

class Finish implements Step {
  constructor(
    readonly n: number,
    readonly owner: string | undefined,
    readonly status: CommandStatus,
  ) {}
  check = (model: Readonly<Model>) => model.commands.length > 0;
  async run(model: Model, real: Real) {
    const c = pick(model.commands, this.n)!;
    const end = { status: this.status, exitCode: 0, signal: null, error: null };
    const result = await real.store.finish(c.id, end, new Date(), this.owner);
    const allowed =
      isLive(c) && (this.owner === undefined || (c.status === 'RUNNING' && c.owner === this.owner));
    expect(result !== null).toBe(allowed);
    if (allowed) {
      c.lastSeq += 1;
      expect(result?.endSeq).toBe(c.lastSeq);
      Object.assign(c, { status: this.status, owner: null, leaseExpired: false });
    }
    await checkInvariants(model, real);
  }
  toString = () => `finish(#${this.n}, ${this.owner ?? 'anyone'}, ${this.status})`;
}

/** What `cancelCommand` does to the store: mark the request; a queued command ends at once. */
class Cancel implements Step {
  constructor(readonly n: number) {}
  check = (model: Readonly<Model>) => model.commands.length > 0;
  async run(model: Model, real: Real) {
    const c = pick(model.commands, this.n)!;
    await real.store.requestCancel(c.id, new Date());
    if (c.status === 'QUEUED') {
      const end = { status: 'CANCELLED' as const, exitCode: null, signal: null, error: 'cancelled' };
      expect(await real.store.finish(c.id, end, new Date())).not.toBeNull();
      c.lastSeq += 1;
      Object.assign(c, { status: 'CANCELLED', owner: null });
    }
    await checkInvariants(model, real);
  }
  toString = () => `cancel(#${this.n})`;
}

class Requeue implements Step {
  constructor(
    readonly n: number,
    readonly owner: string,
  ) {}
  check = (model: Readonly<Model>) => model.commands.length > 0;
  async run(model: Model, real: Real) {
    const c = pick(model.commands, this.n)!;
    const ok = await real.store.requeue(c.id, this.owner, 'start failed');
    const allowed = c.status === 'RUNNING' && c.owner === this.owner;
    expect(ok).toBe(allowed);
    if (allowed) Object.assign(c, { status: 'QUEUED', owner: null, leaseExpired: false });
    await checkInvariants(model, real);
  }
  toString = () => `requeue(#${this.n}, ${this.owner})`;
}

/** A lease runs out: its holder stopped renewing (cut off, paused, killed). */
class ExpireLease implements Step {
  constructor(readonly n: number) {}
  check = (model: Readonly<Model>) => model.commands.some((c) => c.status === 'RUNNING');
  async run(model: Model, real: Real) {
    const c = pick(
      model.commands.filter((x) => x.status === 'RUNNING'),
      this.n,
    )!;
    await sql`UPDATE commands SET lease_expires_at = now() - interval '1 second' WHERE id = ${c.id}`.execute(
      real.db,
    );
    c.leaseExpired = true;
    await checkInvariants(model, real);
  }
  toString = () => `expireLease(#${this.n})`;
}

class Renew implements Step {
  constructor(readonly owner: string) {}
  check = () => true;
  async run(model: Model, real: Real) {
    // A replica renews what it believes it follows: some of that may have moved on.
    const asked = model.commands.filter((c) => c.id.charCodeAt(0) % 2 === 0 || c.owner === this.owner);
    const kept = await real.store.renewLeases(
      this.owner,
      asked.map((c) => c.id),
      LEASE_MS,
    );
    const expected = asked.filter((c) => c.status === 'RUNNING' && c.owner === this.owner);
    expect(kept.sort()).toEqual(expected.map((c) => c.id).sort());
    for (const c of expected) c.leaseExpired = false;
    await checkInvariants(model, real);
  }
  toString = () => `renew(${this.owner})`;
}

class Release implements Step {
  constructor(readonly owner: string) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const mine = model.commands.filter((c) => c.owner === this.owner);
    await real.store.releaseLeases(
      this.owner,
      mine.map((c) => c.id),
    );
    // Released "now": expired for any later look.
    await new Promise((r) => setTimeout(r, 2));
    for (const c of mine) c.leaseExpired = true;
    await checkInvariants(model, real);
  }
  toString = () => `release(${this.owner})`;
}

class Adopt implements Step {
  constructor(readonly owner: string) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const got = await real.store.adopt(this.owner, LEASE_MS, 100);
    const expected = model.commands.filter((c) => c.status === 'RUNNING' && c.leaseExpired);
    expect(got.map((c) => c.id).sort()).toEqual(expected.map((c) => c.id).sort());
    for (const c of got) {
      const m = model.commands.find((x) => x.id === c.id)!;
      expect(c.lastSeq).toBe(m.lastSeq);
      Object.assign(m, { owner: this.owner, leaseExpired: false });
    }
    await checkInvariants(model, real);
  }
  toString = () => `adopt(${this.owner})`;
}

const project = fc.constantFrom(...Object.keys(LIMITS));
const owner = fc.constantFrom(...OWNERS);
const index = fc.nat({ max: 50 });
const steps = fc.commands<Model, Real, false>(
  [
    fc.tuple(project, fc.integer({ min: 0, max: 3 })).map(([p, prio]) => new Enqueue(p, prio * 10)),
    fc.tuple(project, owner).map(([p, o]) => new Claim(p, o)),
    fc.tuple(index, owner, fc.integer({ min: 1, max: 3 })).map(([n, o, e]) => new Append(n, o, e)),
    fc
      .tuple(
        index,
        fc.option(owner, { nil: undefined }),
        fc.constantFrom<CommandStatus>('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'LOST'),
      )
      .map(([n, o, s]) => new Finish(n, o, s)),
    index.map((n) => new Cancel(n)),
    fc.tuple(index, owner).map(([n, o]) => new Requeue(n, o)),
    index.map((n) => new ExpireLease(n)),
    owner.map((o) => new Renew(o)),
    owner.map((o) => new Release(o)),
    owner.map((o) => new Adopt(o)),
  ],
  { maxCommands: 60, size: 'max' },
);

describe.each(DATABASE_KINDS)('queue interleavings on %s', (kind) => {
  let database: TestDatabase;
  let store: PostgresCommandStore;
  let run = 0;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    store = new PostgresCommandStore(database.db);
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('keep the limit, the order, single ends, gap-free seqs and lease ownership', async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (cmds) => {
        const prefix = `r${run++}-`;
        const real: Real = { store, db: database.db, prefix };
        try {
          await fc.asyncModelRun(() => ({ model: { commands: [] }, real }), cmds);
        } finally {
          // Adoption is not per project: leave nothing running for the next run to find.
          await sql`UPDATE commands SET status = 'CANCELLED', lease_owner = NULL, lease_expires_at = NULL
            WHERE project_name LIKE ${`${prefix}%`} AND status IN ('QUEUED', 'RUNNING')`.execute(database.db);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('keep them when replicas race: claims, appends, ends and adoptions at the same time', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('claim' as const), project, owner }),
      fc.record({ kind: fc.constant('append' as const), n: index, owner }),
      fc.record({
        kind: fc.constant('finish' as const),
        n: index,
        owner: fc.option(owner, { nil: undefined }),
      }),
      fc.record({ kind: fc.constant('expire' as const), n: index }),
      fc.record({ kind: fc.constant('adopt' as const), owner }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { minLength: 2, maxLength: 8 }), { minLength: 3, maxLength: 8 }),
        async (batches) => {
          const prefix = `race${run++}-`;
          const ids: string[] = [];
          for (let i = 0; i < 8; i++) {
            ids.push((await store.insert(newCommand(`${prefix}${i % 2 ? 'p1' : 'p2'}`, (i % 3) * 10))).id);
          }
          const ends = new Map<string, number>();
          const appended = new Map<string, number[]>();
          try {
            for (const batch of batches) {
              await Promise.all(
                batch.map(async (o) => {
                  if (o.kind === 'claim') {
                    await store.claim(
                      `${prefix}${o.project}`,
                      LIMITS[o.project]!,
                      o.owner,
                      LEASE_MS,
                      AGING_SECONDS,
                    );
                  } else if (o.kind === 'append') {
                    const id = ids[o.n % ids.length]!;
                    const r = await store.appendOutput(id, o.owner, [{ stream: 'STDOUT', data: 'x' }], {
                      stdoutOffset: 0,
                      stderrOffset: 0,
                      storedBytesDelta: 1,
                    });
                    if (r) appended.set(id, [...(appended.get(id) ?? []), r.firstSeq]);
                  } else if (o.kind === 'finish') {
                    const id = ids[o.n % ids.length]!;
                    const end = { status: 'SUCCEEDED' as const, exitCode: 0, signal: null, error: null };
                    if (await store.finish(id, end, new Date(), o.owner))
                      ends.set(id, (ends.get(id) ?? 0) + 1);
                  } else if (o.kind === 'expire') {
                    await sql`UPDATE commands SET lease_expires_at = now() - interval '1 second'
                    WHERE id = ${ids[o.n % ids.length]!} AND status = 'RUNNING'`.execute(database.db);
                  } else {
                    // Adoption is not per project; earlier runs left nothing running to adopt.
                    await store.adopt(o.owner, LEASE_MS, 100);
                  }
                }),
              );
              const rows = (
                await sql<{ project_name: string; status: string }>`SELECT project_name, status FROM commands
                WHERE project_name LIKE ${`${prefix}%`}`.execute(database.db)
              ).rows;
              for (const [name, limit] of Object.entries(LIMITS)) {
                expect(
                  rows.filter((r) => r.project_name === `${prefix}${name}` && r.status === 'RUNNING').length,
                ).toBeLessThanOrEqual(limit);
              }
            }
            // Each command ended at most once; no two appends got the same seq.
            for (const n of ends.values()) expect(n).toBe(1);
            for (const seqs of appended.values()) expect(new Set(seqs).size).toBe(seqs.length);
            const rows = (
              await sql<{
                id: string;
                status: string;
                last_seq: number;
                seqs: number[] | null;
                ends: number;
              }>`
              SELECT c.id, c.status, c.last_seq, array_agg(o.seq ORDER BY o.seq) FILTER (WHERE o.seq IS NOT NULL) AS seqs,
                count(o."end")::int AS ends
              FROM commands c LEFT JOIN command_output o ON o.command_id = c.id
              WHERE c.project_name LIKE ${`${prefix}%`} GROUP BY c.id`.execute(database.db)
            ).rows;
            for (const row of rows) {
              expect(row.seqs ?? []).toEqual(Array.from({ length: row.last_seq }, (_, i) => i + 1));
              expect(row.ends).toBe(['QUEUED', 'RUNNING'].includes(row.status) ? 0 : 1);
              expect(row.ends).toBe(ends.get(row.id) ?? 0);
            }
          } finally {
            await sql`UPDATE commands SET status = 'CANCELLED', lease_owner = NULL, lease_expires_at = NULL
            WHERE project_name LIKE ${`${prefix}%`} AND status IN ('QUEUED', 'RUNNING')`.execute(database.db);
          }
        },
      ),
      { numRuns: 20 },
    );
  });
});
