import { statSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import type { BenchChild } from '../lib/child.js';
import { forkChild } from '../lib/child.js';
import { runShell } from '../lib/commands.js';
import type { RdevServer, RdevSite } from '../lib/rdev-site.js';

export const QUEUE_PROJECT = 'bench';

export interface RdevLatency {
  /** Enqueue (the insert's transaction time) to claim (the claim's `started_at`), ms. */
  claimMs: number[];
  /** Claim to the command's process group existing (the run folder's `pid` file), ms. */
  processStartMs: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `count` no-op commands (`true`), one at a time, each submitted to the next of `servers` in turn
 * and waited for to finish before the next, so that no run slows another's claim.
 */
export async function rdevQueueLatency(
  site: RdevSite,
  servers: RdevServer[],
  count: number,
): Promise<RdevLatency> {
  const out: RdevLatency = { claimMs: [], processStartMs: [] };
  for (let i = 0; i < count; i++) {
    const server = servers[i % servers.length]!;
    const { id } = await runShell(server, { projectName: QUEUE_PROJECT, argv: ['true'] });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await site.sql!.query(
        `SELECT status, extract(epoch from created_at) * 1000 AS created, extract(epoch from started_at) * 1000 AS started
         FROM commands WHERE id = $1`,
        [id],
      );
      const r = rows[0];
      if (r.status !== 'QUEUED' && r.status !== 'RUNNING') {
        if (r.status !== 'SUCCEEDED') throw new Error(`a no-op command ended ${r.status}`);
        out.claimMs.push(Number(r.started) - Number(r.created));
        const pidFile = join(site.workspaces, QUEUE_PROJECT, '.rdev', 'runs', id, 'pid');
        out.processStartMs.push(statSync(pidFile).mtimeMs - Number(r.started));
        break;
      }
      if (Date.now() > deadline) throw new Error(`command ${id} still ${r.status} after 30 s`);
      await sleep(5);
    }
  }
  return out;
}

/** graphile-worker runners (one per process) on their own database of the same server. */
export async function startGraphileWorkers(connectionString: string, processes: number) {
  const workers: BenchChild[] = [];
  let onStarted: ((latencyMs: number) => void) | null = null;
  for (let i = 0; i < processes; i++) {
    const w = await forkChild(new URL('../anchors/graphile-worker.ts', import.meta.url));
    // One at a time: the first installs graphile-worker's schema.
    await w.request('start', { connectionString });
    w.on<{ latencyMs: number }>('started', (p) => onStarted?.(p.latencyMs));
    workers.push(w);
  }
  return {
    /** `count` jobs, one at a time: `add_job`, then wait for its task to start. */
    async latencies(pool: pg.Pool, count: number): Promise<number[]> {
      const out: number[] = [];
      for (let i = 0; i < count; i++) {
        const started = new Promise<number>((resolve) => {
          onStarted = resolve;
        });
        await pool.query(
          `SELECT graphile_worker.add_job('noop', json_build_object('t', extract(epoch from clock_timestamp()) * 1000))`,
        );
        out.push(await started);
        // Let the job's completion commit before the next add, as rdev's runs finish first too.
        await sleep(5);
      }
      onStarted = null;
      return out;
    },
    async stop() {
      for (const w of workers) {
        await w.request('stop').catch(() => {});
        await w.stop();
      }
    },
  };
}
