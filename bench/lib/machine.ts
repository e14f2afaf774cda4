import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import pg from 'pg';
import { median } from './stats.js';

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  postgres: string | null;
  pglite: string;
}

/** What the numbers were measured on: results from different machines are not comparable. */
export async function describeMachine(postgresUrl: string): Promise<Machine> {
  let postgres: string | null = null;
  const client = new pg.Client({ connectionString: postgresUrl });
  try {
    await client.connect();
    postgres = (await client.query('SHOW server_version')).rows[0].server_version;
  } catch {
    postgres = null;
  } finally {
    await client.end().catch(() => {});
  }
  const pgliteVersion = JSON.parse(
    readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8'),
  ).version as string;
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    postgres,
    pglite: pgliteVersion,
  };
}

/** The 1-, 5- and 15-minute load averages: other work on the machine skews absolute numbers. */
export function loadAverage(): [number, number, number] {
  const [a, b, c] = loadavg();
  return [round2(a!), round2(b!), round2(c!)];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Resident set size of a process in bytes, from /proc (Linux). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

/** RSS settled: the median of five samples 200 ms apart. */
export async function settledRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 200));
    samples.push(rssOf(pid));
  }
  return median(samples);
}
