import pg from 'pg';
import { forkChild } from '../lib/child.js';
import { createRdevSite, createScratchDatabase } from '../lib/rdev-site.js';
import { type Benchmark, measure, row } from '../lib/report.js';
import { percentile } from '../lib/stats.js';
import type { FanoutResult } from '../loaders/subscribers.js';
import { deliveriesPerSecond, FANOUT_PROJECT, rawFanoutRound, rdevFanoutRound } from './fanout.js';
import { QUEUE_PROJECT, rdevQueueLatency, startGraphileWorkers } from './queue-latency.js';

const JOBS_PER_ROUND = 30;
const SUBSCRIBERS = 100;
const OUTPUT_BYTES = 2 * 1024 * 1024;

/**
 * Two `rdev serve` replicas on one PostgreSQL: enqueue-to-claim latency when commands are
 * submitted to either replica in turn and whichever is woken by NOTIFY claims them (against
 * graphile-worker with two worker processes), and fan-out to 100 subscribers split between the
 * replicas while the command runs on one (against a raw ws broadcast to 100 sockets).
 */
export const replicas: Benchmark = {
  id: 'R',
  title: 'two replicas on one PostgreSQL',
  async run(ctx) {
    const site = await createRdevSite({
      kind: 'postgres',
      postgresUrl: ctx.postgresUrl,
      projects: { [QUEUE_PROJECT]: { max_concurrent_commands: 10 } },
      profileDir: ctx.profileDir,
    });
    if (FANOUT_PROJECT !== QUEUE_PROJECT) throw new Error('one project serves both measurements');
    const anchorDb = await createScratchDatabase(ctx.postgresUrl);
    const anchorPool = new pg.Pool({ connectionString: anchorDb.url, max: 2 });
    const graphile = await startGraphileWorkers(anchorDb.url, 2);
    const loader = await forkChild(new URL('../loaders/subscribers.ts', import.meta.url));
    const anchor = await forkChild(new URL('../anchors/ws-broadcast.ts', import.meta.url));
    try {
      const servers = [await site.start('r-replica-a'), await site.start('r-replica-b')];
      ctx.log('R: enqueue → claim across two replicas');
      await rdevQueueLatency(site, servers, 4);
      await graphile.latencies(anchorPool, 4);
      const a: number[][] = [];
      const b: number[][] = [];
      for (let round = 0; round < ctx.rounds; round++) {
        a.push((await rdevQueueLatency(site, servers, JOBS_PER_ROUND)).claimMs);
        b.push(await graphile.latencies(anchorPool, JOBS_PER_ROUND));
      }
      ctx.log('R: fan-out to 100 subscribers split across two replicas');
      const anchorUrl = `ws://127.0.0.1:${await anchor.request<number>('port')}`;
      const warm = await rdevFanoutRound(site, servers, loader, SUBSCRIBERS, OUTPUT_BYTES);
      await rawFanoutRound(anchor, anchorUrl, loader, SUBSCRIBERS, warm.messages);
      const fa: FanoutResult[] = [];
      const fb: FanoutResult[] = [];
      for (let round = 0; round < ctx.rounds; round++) {
        const r = await rdevFanoutRound(site, servers, loader, SUBSCRIBERS, OUTPUT_BYTES);
        fa.push(r.result);
        fb.push(await rawFanoutRound(anchor, anchorUrl, loader, SUBSCRIBERS, r.messages));
      }
      return [
        row({
          id: 'R-claim',
          title:
            'two replicas: enqueue → claim p50 (NOTIFY wake-up) vs graphile-worker, two worker processes',
          database: 'postgres',
          rdev: measure(
            'rdev 2 replicas p50',
            'ms',
            a.map((r) => percentile(r, 50)),
          ),
          anchor: measure(
            'graphile-worker ×2 p50',
            'ms',
            b.map((r) => percentile(r, 50)),
          ),
          target: null,
          details: {
            rdevP99Ms: percentile(a.flat(), 99),
            anchorP99Ms: percentile(b.flat(), 99),
            rdevP99PerRound: a.map((r) => percentile(r, 99)),
          },
        }),
        row({
          id: 'R-claim-p99',
          title: 'two replicas: enqueue → claim p99 vs graphile-worker ×2 p99',
          database: 'postgres',
          rdev: measure(
            'rdev 2 replicas p99',
            'ms',
            a.map((r) => percentile(r, 99)),
          ),
          anchor: measure(
            'graphile-worker ×2 p99',
            'ms',
            b.map((r) => percentile(r, 99)),
          ),
          target: null,
        }),
        row({
          id: 'R-fanout',
          title: 'two replicas: output to 100 subscribers split 50/50 vs raw ws broadcast to 100',
          database: 'postgres',
          rdev: measure('rdev 2 replicas', 'deliveries/s', fa.map(deliveriesPerSecond)),
          anchor: measure('raw ws broadcast', 'deliveries/s', fb.map(deliveriesPerSecond)),
          target: null,
          details: { outputBytes: OUTPUT_BYTES, eventsPerSubscriber: fa.map((r) => r.minPerSubscriber) },
        }),
      ];
    } finally {
      await loader.stop();
      await anchor.stop();
      await graphile.stop();
      await anchorPool.end();
      await anchorDb.drop();
      await site.close();
    }
  },
};
