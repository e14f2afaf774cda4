import { forkChild } from '../lib/child.js';
import { createRdevSite, type RdevServer, type RdevSite } from '../lib/rdev-site.js';
import { type Benchmark, measure, row } from '../lib/report.js';
import { commandGlobalId, SEED_PROJECT, seedFinishedCommand } from '../lib/seed-output.js';
import type { ReplayResult } from '../loaders/replay.js';
import { checkReplay, REPLAY_EVENTS } from './b3-replay.js';
import {
  compareRates,
  rateRow,
  startQueryLoader,
  TWENTY_PROJECTS,
  VIEWER_PROJECTS_QUERY,
} from './graphql-queries.js';

/**
 * B7: the embedded database against PostgreSQL, everything else equal: B1's authenticated query
 * rate and B3's graphql-ws replay, each on an rdev with PGlite and an rdev with PostgreSQL,
 * alternately. The ratio is PGlite over PostgreSQL.
 */
export const b7: Benchmark = {
  id: 'B7',
  title: 'PGlite vs PostgreSQL (B1 and B3)',
  async run(ctx) {
    const sites: RdevSite[] = [];
    const loader = await startQueryLoader();
    const replay = await forkChild(new URL('../loaders/replay.ts', import.meta.url));
    try {
      const servers: RdevServer[] = [];
      const ids: string[] = [];
      for (const kind of ['pglite', 'postgres'] as const) {
        const site = await createRdevSite({
          kind,
          postgresUrl: ctx.postgresUrl,
          projects: { ...TWENTY_PROJECTS, [SEED_PROJECT]: {} },
          profileDir: ctx.profileDir,
        });
        sites.push(site);
        ids.push(await seedFinishedCommand(site, REPLAY_EVENTS));
        servers.push(await site.start(`b7-${kind}`));
      }
      const [lite, pg] = servers as [RdevServer, RdevServer];
      ctx.log('B7: B1 query rate, PGlite vs PostgreSQL');
      const rates = await compareRates(
        ctx,
        loader,
        { url: `${lite.url}/graphql`, query: VIEWER_PROJECTS_QUERY, key: sites[0]!.adminKey },
        { url: `${pg.url}/graphql`, query: VIEWER_PROJECTS_QUERY, key: sites[1]!.adminKey },
      );
      ctx.log('B7: B3 graphql-ws replay, PGlite vs PostgreSQL');
      const replayOn = (i: 0 | 1) => () =>
        replay
          .request<ReplayResult>('graphqlWs', {
            url: servers[i]!.wsUrl,
            key: sites[i]!.adminKey,
            commandId: commandGlobalId(ids[i]!),
          })
          .then((r) => checkReplay(r, `graphql-ws on ${sites[i]!.kind}`));
      await replayOn(0)();
      await replayOn(1)();
      const a: ReplayResult[] = [];
      const b: ReplayResult[] = [];
      for (let round = 0; round < ctx.rounds; round++) {
        a.push(await replayOn(0)());
        b.push(await replayOn(1)());
      }
      const perSecond = (r: ReplayResult) => r.events / r.seconds;
      return [
        rateRow({
          id: 'B7-B1',
          title: 'B1 viewer + projects(first: 20) queries/s, PGlite vs PostgreSQL',
          database: 'pglite',
          rdevLabel: 'rdev on PGlite',
          anchorLabel: 'rdev on PostgreSQL',
          target: null,
          results: rates,
        }),
        row({
          id: 'B7-B3',
          title: 'B3 graphql-ws replay of 100,000 events, PGlite vs PostgreSQL',
          database: 'pglite',
          rdev: measure('rdev on PGlite', 'events/s', a.map(perSecond)),
          anchor: measure('rdev on PostgreSQL', 'events/s', b.map(perSecond)),
          target: null,
        }),
      ];
    } finally {
      await replay.stop();
      await loader.stop();
      for (const site of sites) await site.close();
    }
  },
};
