import { type Spread, spread } from './stats.js';

/** What a row must reach: the ratio compared with a bound. */
export interface Target {
  op: '>=' | '<=';
  value: number;
}

/** One side of a comparison: a value per round, in one unit. */
export interface Measure {
  label: string;
  unit: string;
  rounds: number[];
  median: number;
}

/**
 * One line of the results table. `ratio` is rdev over the anchor, per round (A B A B …), so a
 * machine's speed cancels out; the absolute values are kept for context only.
 */
export interface BenchRow {
  id: string;
  title: string;
  database: 'postgres' | 'pglite' | 'none';
  rdev: Measure;
  anchor: Measure;
  ratio: Spread & { rounds: number[] };
  target: Target | null;
  met: boolean | null;
  /** Anything else worth keeping: percentiles, payload sizes, counts. */
  details?: Record<string, unknown>;
}

export interface Benchmark {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

export interface BenchContext {
  postgresUrl: string;
  /** A/B rounds per measurement (at least 3). */
  rounds: number;
  /** Where rdev processes write CPU profiles; null: not profiling. */
  profileDir: string | null;
  log(message: string): void;
}

export function measure(label: string, unit: string, rounds: number[]): Measure {
  return { label, unit, rounds, median: spread(rounds).median };
}

/** A row whose ratio is rdev / anchor, round by round. */
export function row(fields: {
  id: string;
  title: string;
  database: BenchRow['database'];
  rdev: Measure;
  anchor: Measure;
  target: Target | null;
  details?: Record<string, unknown>;
}): BenchRow {
  const ratios = fields.rdev.rounds.map((v, i) => v / fields.anchor.rounds[i]!);
  const s = spread(ratios);
  const met =
    fields.target === null
      ? null
      : fields.target.op === '>='
        ? s.median >= fields.target.value
        : s.median <= fields.target.value;
  return { ...fields, ratio: { ...s, rounds: ratios }, met };
}

/** Runs `a` and `b` alternately, `rounds` times each: A B A B … */
export async function alternate<A, B>(
  rounds: number,
  a: (round: number) => Promise<A>,
  b: (round: number) => Promise<B>,
): Promise<{ a: A[]; b: B[] }> {
  const as: A[] = [];
  const bs: B[] = [];
  for (let i = 0; i < rounds; i++) {
    as.push(await a(i));
    bs.push(await b(i));
  }
  return { a: as, b: bs };
}
