import type { BenchChild } from '../lib/child.js';
import { forkChild } from '../lib/child.js';
import type { RdevServer } from '../lib/rdev-site.js';
import { alternate, type BenchContext, type BenchRow, measure, row } from '../lib/report.js';
import type { HttpLoadResult } from '../loaders/http-load.js';

/** What B1 asks rdev: the caller and a page of 20 projects, through auth, rate limit, armor and metrics. */
export const VIEWER_PROJECTS_QUERY =
  '{ viewer { scopes } projects(first: 20) { edges { node { name description } } } }';
export const VIEWER_QUERY = '{ viewer { scopes } }';
export const ANONYMOUS_QUERY = '{ serverInfo { version } }';

const LOAD = { connections: 10, durationSeconds: 4 };
/** Load before the first round, so that both servers are measured with their code optimised. */
const WARM_UP_SECONDS = 3;

/** Twenty project folders, so that `projects(first: 20)` returns a full page. */
export const TWENTY_PROJECTS: Record<string, Record<string, unknown>> = Object.fromEntries(
  Array.from({ length: 20 }, (_, i) => [`project-${String(i + 1).padStart(2, '0')}`, {}]),
);

export interface QueryTarget {
  url: string;
  query: string;
  key: string | null;
}

/** A loader process that measures queries per second against any GraphQL endpoint. */
export async function startQueryLoader(): Promise<{
  rate(target: QueryTarget, seconds?: number): Promise<HttpLoadResult>;
  stop(): Promise<void>;
}> {
  const loader: BenchChild = await forkChild(new URL('../loaders/http-load.ts', import.meta.url));
  return {
    async rate(target, seconds = LOAD.durationSeconds) {
      const result = await loader.request<HttpLoadResult>('run', {
        url: target.url,
        headers: {
          'content-type': 'application/json',
          ...(target.key ? { authorization: `Bearer ${target.key}` } : {}),
        },
        body: JSON.stringify({ query: target.query }),
        connections: LOAD.connections,
        durationSeconds: seconds,
      });
      if (result.non2xx > 0 || result.errors > 0) {
        throw new Error(
          `${target.url} ${target.query}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load`,
        );
      }
      return result;
    },
    stop: () => loader.stop(),
  };
}

/** Checks the query answers data (not errors) before putting load on it. */
export async function checkQuery(server: RdevServer, query: string, key?: string | null): Promise<void> {
  await server.graphql(query, {}, key);
}

/** Queries per second of `a` and `b`, alternately, after a warm-up of each. */
export async function compareRates(
  ctx: BenchContext,
  loader: Awaited<ReturnType<typeof startQueryLoader>>,
  a: QueryTarget,
  b: QueryTarget,
): Promise<{ a: HttpLoadResult[]; b: HttpLoadResult[] }> {
  await loader.rate(a, WARM_UP_SECONDS);
  await loader.rate(b, WARM_UP_SECONDS);
  return alternate(
    ctx.rounds,
    () => loader.rate(a),
    () => loader.rate(b),
  );
}

export function rateRow(
  fields: Omit<Parameters<typeof row>[0], 'rdev' | 'anchor'> & {
    rdevLabel: string;
    anchorLabel: string;
    results: { a: HttpLoadResult[]; b: HttpLoadResult[] };
  },
): BenchRow {
  const { results, rdevLabel, anchorLabel, ...rest } = fields;
  const p = (list: HttpLoadResult[]) => ({
    p50Ms: list.map((r) => r.p50Ms),
    p99Ms: list.map((r) => r.p99Ms),
  });
  return row({
    ...rest,
    rdev: measure(
      rdevLabel,
      'req/s',
      results.a.map((r) => r.requestsPerSecond),
    ),
    anchor: measure(
      anchorLabel,
      'req/s',
      results.b.map((r) => r.requestsPerSecond),
    ),
    details: {
      connections: LOAD.connections,
      secondsPerRound: LOAD.durationSeconds,
      rdevLatency: p(results.a),
      anchorLatency: p(results.b),
      ...(rest.details ?? {}),
    },
  });
}
