import { forkChild } from '../lib/child.js';
import { createRdevSite } from '../lib/rdev-site.js';
import { alternate, type Benchmark, type BenchRow, measure, row } from '../lib/report.js';
import { commandGlobalId, SEED_PROJECT, seedFinishedCommand } from '../lib/seed-output.js';
import type { ReplayResult } from '../loaders/replay.js';

export const REPLAY_EVENTS = 100_000;
/** The anchor's page: a plain choice for a keyset scan, not tuned to rdev's. */
const PG_PAGE = 1000;

const perSecond = (r: ReplayResult) => r.events / r.seconds;

export function checkReplay(r: ReplayResult, what: string): ReplayResult {
  // Every stored event plus the end event.
  if (r.events !== REPLAY_EVENTS + 1)
    throw new Error(`${what} delivered ${r.events} events, not ${REPLAY_EVENTS + 1}`);
  return r;
}

/**
 * B3: a subscriber resuming a finished 100,000-event output from the start, over graphql-ws and
 * over the legacy SSE stream, against a raw pg keyset scan of the same rows from the same server.
 */
export const b3: Benchmark = {
  id: 'B3',
  title: 'replay of a 100,000-event output',
  async run(ctx) {
    const site = await createRdevSite({
      kind: 'postgres',
      postgresUrl: ctx.postgresUrl,
      projects: { [SEED_PROJECT]: {} },
      profileDir: ctx.profileDir,
    });
    const loader = await forkChild(new URL('../loaders/replay.ts', import.meta.url));
    try {
      const id = await seedFinishedCommand(site, REPLAY_EVENTS);
      const rdev = await site.start('b3-rdev');
      const ws = () =>
        loader
          .request<ReplayResult>('graphqlWs', {
            url: rdev.wsUrl,
            key: site.adminKey,
            commandId: commandGlobalId(id),
          })
          .then((r) => checkReplay(r, 'graphql-ws'));
      const sse = () =>
        loader
          .request<ReplayResult>('sse', {
            url: `${rdev.url}/api/v1/commands/${id}/stream`,
            key: site.adminKey,
          })
          .then((r) => checkReplay(r, 'SSE'));
      const scan = () =>
        loader
          .request<ReplayResult>('pgScan', { url: site.databaseUrl, commandId: id, pageSize: PG_PAGE })
          .then((r) => checkReplay(r, 'pg scan'));
      const sseAvailable = await probeLegacyStream(rdev.url, id, site.adminKey);

      ctx.log('B3: graphql-ws replay vs pg keyset scan');
      await ws();
      await scan();
      const wsRuns = await alternate(ctx.rounds, ws, scan);
      const rows: BenchRow[] = [
        row({
          id: 'B3-ws',
          title: 'replay 100,000 events over graphql-ws vs raw pg keyset scan',
          database: 'postgres',
          rdev: measure('rdev graphql-ws', 'events/s', wsRuns.a.map(perSecond)),
          anchor: measure(`pg keyset scan (${PG_PAGE}/page)`, 'events/s', wsRuns.b.map(perSecond)),
          target: { op: '>=', value: 0.5 },
          details: {
            rdevSeconds: wsRuns.a.map((r) => r.seconds),
            anchorSeconds: wsRuns.b.map((r) => r.seconds),
          },
        }),
      ];
      if (sseAvailable) {
        ctx.log('B3: legacy SSE replay vs pg keyset scan');
        await sse();
        const sseRuns = await alternate(ctx.rounds, sse, scan);
        rows.push(
          row({
            id: 'B3-sse',
            title: 'replay 100,000 events over legacy SSE vs raw pg keyset scan',
            database: 'postgres',
            rdev: measure('rdev SSE', 'events/s', sseRuns.a.map(perSecond)),
            anchor: measure(`pg keyset scan (${PG_PAGE}/page)`, 'events/s', sseRuns.b.map(perSecond)),
            target: { op: '>=', value: 0.5 },
            details: {
              rdevSeconds: sseRuns.a.map((r) => r.seconds),
              anchorSeconds: sseRuns.b.map((r) => r.seconds),
            },
          }),
        );
      } else {
        ctx.log('B3: this rdev has no legacy SSE stream; that row is left out');
      }
      return rows;
    } finally {
      await loader.stop();
      await site.close();
    }
  },
};

/** Whether the legacy `GET /api/v1/commands/{id}/stream` route exists on this build. */
async function probeLegacyStream(baseUrl: string, id: string, key: string): Promise<boolean> {
  const controller = new AbortController();
  const res = await fetch(`${baseUrl}/api/v1/commands/${id}/stream`, {
    headers: { authorization: `Bearer ${key}` },
    signal: controller.signal,
  });
  controller.abort();
  return res.status === 200;
}
