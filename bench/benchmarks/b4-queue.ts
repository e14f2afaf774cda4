import pg from 'pg';
import { createRdevSite, createScratchDatabase } from '../lib/rdev-site.js';
import { type Benchmark, measure, row } from '../lib/report.js';
import { percentile } from '../lib/stats.js';
import { QUEUE_PROJECT, type RdevLatency, rdevQueueLatency, startGraphileWorkers } from './queue-latency.js';

const JOBS_PER_ROUND = 40;

/**
 * B4: enqueue-to-claim latency of a no-op command on PostgreSQL (the dispatcher wakes on
 * LISTEN/NOTIFY), one command at a time, against graphile-worker's `add_job` to task start on
 * the same server. The time from claim to the command's process existing is reported apart.
 */
export const b4: Benchmark = {
  id: 'B4',
  title: 'queue latency: enqueue to claim',
  async run(ctx) {
    const site = await createRdevSite({
      kind: 'postgres',
      postgresUrl: ctx.postgresUrl,
      projects: { [QUEUE_PROJECT]: { max_concurrent_commands: 10 } },
      profileDir: ctx.profileDir,
    });
    const anchorDb = await createScratchDatabase(ctx.postgresUrl);
    const anchorPool = new pg.Pool({ connectionString: anchorDb.url, max: 2 });
    const graphile = await startGraphileWorkers(anchorDb.url, 1);
    try {
      const rdev = await site.start('b4-rdev');
      await rdevQueueLatency(site, [rdev], 5);
      await graphile.latencies(anchorPool, 5);
      const a: RdevLatency[] = [];
      const b: number[][] = [];
      for (let round = 0; round < ctx.rounds; round++) {
        a.push(await rdevQueueLatency(site, [rdev], JOBS_PER_ROUND));
        b.push(await graphile.latencies(anchorPool, JOBS_PER_ROUND));
      }
      const all = (lists: number[][]) => lists.flat();
      const details = {
        jobsPerRound: JOBS_PER_ROUND,
        rdevClaimP50Ms: percentile(all(a.map((r) => r.claimMs)), 50),
        rdevClaimP99Ms: percentile(all(a.map((r) => r.claimMs)), 99),
        rdevProcessStartP50Ms: percentile(all(a.map((r) => r.processStartMs)), 50),
        rdevProcessStartP99Ms: percentile(all(a.map((r) => r.processStartMs)), 99),
        graphileP50Ms: percentile(all(b), 50),
        graphileP99Ms: percentile(all(b), 99),
      };
      return [
        row({
          id: 'B4',
          title: 'enqueue → claim p50, no-op command (LISTEN/NOTIFY) vs graphile-worker add_job → task start',
          database: 'postgres',
          rdev: measure(
            'rdev claim p50',
            'ms',
            a.map((r) => percentile(r.claimMs, 50)),
          ),
          anchor: measure(
            'graphile-worker p50',
            'ms',
            b.map((r) => percentile(r, 50)),
          ),
          target: { op: '<=', value: 3 },
          details,
        }),
        row({
          id: 'B4-p99',
          title: 'enqueue → claim p99 vs graphile-worker p99',
          database: 'postgres',
          rdev: measure(
            'rdev claim p99',
            'ms',
            a.map((r) => percentile(r.claimMs, 99)),
          ),
          anchor: measure(
            'graphile-worker p99',
            'ms',
            b.map((r) => percentile(r, 99)),
          ),
          target: null,
        }),
        row({
          id: 'B4-start',
          title: 'claim → process started p50 (supervisor start) vs graphile-worker add_job → task start p50',
          database: 'postgres',
          rdev: measure(
            'rdev process start p50',
            'ms',
            a.map((r) => percentile(r.processStartMs, 50)),
          ),
          anchor: measure(
            'graphile-worker p50',
            'ms',
            b.map((r) => percentile(r, 50)),
          ),
          target: null,
        }),
      ];
    } finally {
      await graphile.stop();
      await anchorPool.end();
      await anchorDb.drop();
      await site.close();
    }
  },
};
