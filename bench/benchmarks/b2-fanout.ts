import { forkChild } from '../lib/child.js';
import { createRdevSite } from '../lib/rdev-site.js';
import { type Benchmark, type BenchRow, measure, row } from '../lib/report.js';
import type { FanoutResult } from '../loaders/subscribers.js';
import { deliveriesPerSecond, FANOUT_PROJECT, rawFanoutRound, rdevFanoutRound } from './fanout.js';

/** Output printed per round, smaller as subscribers multiply so each round moves a similar volume. */
const OUTPUT_BYTES: Record<number, number> = {
  1: 4 * 1024 * 1024,
  10: 4 * 1024 * 1024,
  100: 2 * 1024 * 1024,
  1000: 256 * 1024,
};

/**
 * B2: output events delivered per second to N graphql-ws subscribers of one command (counted at
 * the subscribers: events × subscribers), against a raw `ws` server broadcasting the same
 * messages to N plain sockets.
 */
export const b2: Benchmark = {
  id: 'B2',
  title: 'output fan-out to N graphql-ws subscribers',
  async run(ctx) {
    const site = await createRdevSite({
      kind: 'postgres',
      postgresUrl: ctx.postgresUrl,
      projects: { [FANOUT_PROJECT]: { max_concurrent_commands: 10 } },
      profileDir: ctx.profileDir,
    });
    const loader = await forkChild(new URL('../loaders/subscribers.ts', import.meta.url));
    const anchor = await forkChild(new URL('../anchors/ws-broadcast.ts', import.meta.url));
    try {
      const rdev = await site.start('b2-rdev');
      const anchorUrl = `ws://127.0.0.1:${await anchor.request<number>('port')}`;
      // One unmeasured round of each, so that the first measured one does not pay for warm-up.
      const warm = await rdevFanoutRound(site, [rdev], loader, 10, OUTPUT_BYTES[10]!);
      await rawFanoutRound(anchor, anchorUrl, loader, 10, warm.messages);
      const rows: BenchRow[] = [];
      for (const n of [1, 10, 100, 1000]) {
        ctx.log(`B2: N = ${n}`);
        const a: FanoutResult[] = [];
        const b: FanoutResult[] = [];
        for (let round = 0; round < ctx.rounds; round++) {
          const r = await rdevFanoutRound(site, [rdev], loader, n, OUTPUT_BYTES[n]!);
          a.push(r.result);
          b.push(await rawFanoutRound(anchor, anchorUrl, loader, n, r.messages));
        }
        rows.push(
          row({
            id: `B2 N=${n}`,
            title: `output events delivered to ${n} graphql-ws subscriber${n > 1 ? 's' : ''} vs raw ws broadcast`,
            database: 'postgres',
            rdev: measure('rdev graphql-ws', 'deliveries/s', a.map(deliveriesPerSecond)),
            anchor: measure('raw ws broadcast', 'deliveries/s', b.map(deliveriesPerSecond)),
            target: n === 100 ? { op: '>=', value: 0.5 } : null,
            details: {
              outputBytes: OUTPUT_BYTES[n],
              eventsPerSubscriber: a.map((r) => r.minPerSubscriber),
              rdevMBps: a.map((r) => r.bytes / r.seconds / 1e6),
              anchorMBps: b.map((r) => r.bytes / r.seconds / 1e6),
            },
          }),
        );
      }
      return rows;
    } finally {
      await loader.stop();
      await anchor.stop();
      await site.close();
    }
  },
};
