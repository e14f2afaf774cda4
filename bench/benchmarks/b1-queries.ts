import { forkChild } from '../lib/child.js';
import { createRdevSite } from '../lib/rdev-site.js';
import type { Benchmark, BenchRow } from '../lib/report.js';
import {
  ANONYMOUS_QUERY,
  checkQuery,
  compareRates,
  rateRow,
  startQueryLoader,
  TWENTY_PROJECTS,
  VIEWER_PROJECTS_QUERY,
  VIEWER_QUERY,
} from './graphql-queries.js';

/**
 * B1: authenticated queries per second through everything a real request meets (key lookup via
 * the warm auth cache, the PostgreSQL rate limiter, graphql-armor, metrics), against a bare
 * graphql-yoga `{ hello }`; and the cost of authentication alone on the same server.
 */
export const b1: Benchmark = {
  id: 'B1',
  title: 'GraphQL queries per second',
  async run(ctx) {
    const site = await createRdevSite({
      kind: 'postgres',
      postgresUrl: ctx.postgresUrl,
      projects: TWENTY_PROJECTS,
      profileDir: ctx.profileDir,
    });
    const yoga = await forkChild(new URL('../anchors/yoga-hello.ts', import.meta.url));
    const loader = await startQueryLoader();
    try {
      const rdev = await site.start('b1-rdev');
      const port = await yoga.request<number>('listen');
      const yogaUrl = `http://127.0.0.1:${port}/graphql`;
      const rdevUrl = `${rdev.url}/graphql`;
      const page = await rdev.graphql(VIEWER_PROJECTS_QUERY);
      if (page.projects.edges.length !== 20) throw new Error('expected a page of 20 projects');
      await checkQuery(rdev, ANONYMOUS_QUERY, null);

      ctx.log('B1: viewer + projects(first: 20) vs bare yoga { hello }');
      const full = await compareRates(
        ctx,
        loader,
        { url: rdevUrl, query: VIEWER_PROJECTS_QUERY, key: site.adminKey },
        { url: yogaUrl, query: '{ hello }', key: null },
      );
      ctx.log('B1: authenticated viewer vs unauthenticated serverInfo on the same rdev');
      const auth = await compareRates(
        ctx,
        loader,
        { url: rdevUrl, query: VIEWER_QUERY, key: site.adminKey },
        { url: rdevUrl, query: ANONYMOUS_QUERY, key: null },
      );
      const rows: BenchRow[] = [
        rateRow({
          id: 'B1',
          title: 'authenticated viewer + projects(first: 20) vs bare yoga { hello }',
          database: 'postgres',
          rdevLabel: 'rdev viewer+projects',
          anchorLabel: 'graphql-yoga { hello }',
          target: { op: '>=', value: 0.7 },
          results: full,
        }),
        rateRow({
          id: 'B1-auth',
          title: 'authenticated viewer vs unauthenticated serverInfo, same rdev, warm auth cache',
          database: 'postgres',
          rdevLabel: 'rdev viewer (key)',
          anchorLabel: 'rdev serverInfo (no key)',
          target: { op: '>=', value: 0.7 },
          results: auth,
        }),
      ];
      return rows;
    } finally {
      await loader.stop();
      await yoga.stop();
      await site.close();
    }
  },
};
