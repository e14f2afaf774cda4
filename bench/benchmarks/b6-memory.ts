import { type BenchChild, forkChild } from '../lib/child.js';
import { cancel, isTerminal, runShell, waitForStatus } from '../lib/commands.js';
import { rssOf, settledRss } from '../lib/machine.js';
import { createRdevSite, type RdevServer, type RdevSite } from '../lib/rdev-site.js';
import { type Benchmark, measure, row } from '../lib/report.js';
import type { OpenOptions } from '../loaders/subscribers.js';
import { FANOUT_SUBSCRIPTION } from './fanout.js';
import { checkQuery, TWENTY_PROJECTS, VIEWER_PROJECTS_QUERY } from './graphql-queries.js';

const MB = 1024 * 1024;
const SUBSCRIPTIONS = 1000;
const OUTPUT_BYTES = 200 * 1000 * 1000;
const BUDGET_MB = { idle: 150, perThousand: 50 };
/** "Flat": the second half of the output run may peak at most this much above the first half. */
const FLAT = 1.05;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface MemoryRound {
  idle: number;
  yogaIdle: number;
  /** Growth per 1,000 subscriptions, one connection each. */
  perThousand: number;
  /** Growth per 1,000 subscriptions, 100 per connection. */
  perThousandShared: number;
  /** Growth of a plain ws server per 1,000 idle connections. */
  rawPerThousand: number;
  outputPeakGrowth: number;
  firstHalfPeak: number;
  secondHalfPeak: number;
  outputSeconds: number;
}

/**
 * B6: resident memory of a fresh rdev process idle (after a few requests); its growth for 1,000
 * open `commandOutput` subscriptions waiting on a silent command (one connection each, and 100
 * per connection), beside a plain `ws` server's growth for 1,000 idle connections; and its RSS
 * while a command prints 200 MB (four times the stored-output cap), sampled every 100 ms.
 */
export const b6: Benchmark = {
  id: 'B6',
  title: 'memory: idle, per 1,000 subscriptions, under 200 MB of output',
  async run(ctx) {
    const rounds: MemoryRound[] = [];
    for (let round = 0; round < ctx.rounds; round++) {
      ctx.log(`B6: round ${round + 1}`);
      const site = await createRdevSite({
        kind: 'postgres',
        postgresUrl: ctx.postgresUrl,
        projects: { ...TWENTY_PROJECTS, bench: { max_concurrent_commands: 10 } },
        profileDir: ctx.profileDir,
      });
      const loader = await forkChild(new URL('../loaders/subscribers.ts', import.meta.url));
      const yoga = await forkChild(new URL('../anchors/yoga-hello.ts', import.meta.url));
      const raw = await forkChild(new URL('../anchors/ws-broadcast.ts', import.meta.url));
      try {
        const rdev = await site.start('b6-rdev');
        for (let i = 0; i < 20; i++) await checkQuery(rdev, VIEWER_PROJECTS_QUERY);
        await sleep(1000);
        const idle = await settledRss(rdev.pid);
        const perThousand = await subscriptionGrowth(site, rdev, loader, 1);
        const perThousandShared = await subscriptionGrowth(site, rdev, loader, 100);
        const output = await printAndSample(site, rdev);
        rounds.push({
          idle,
          perThousand,
          perThousandShared,
          ...output,
          yogaIdle: await yogaIdle(yoga),
          rawPerThousand: await rawConnectionGrowth(raw, loader),
        });
      } finally {
        await loader.stop();
        await yoga.stop();
        await raw.stop();
        await site.close();
      }
    }
    const mb = (f: (r: MemoryRound) => number) => rounds.map((r) => f(r) / MB);
    const budget = (value: number) => rounds.map(() => value);
    return [
      row({
        id: 'B6-idle',
        title: 'RSS idle vs budget 150 MB',
        database: 'postgres',
        rdev: measure(
          'rdev idle RSS',
          'MB',
          mb((r) => r.idle),
        ),
        anchor: measure('budget', 'MB', budget(BUDGET_MB.idle)),
        target: { op: '<=', value: 1 },
      }),
      row({
        id: 'B6-idle-yoga',
        title: 'RSS idle vs a bare graphql-yoga process',
        database: 'postgres',
        rdev: measure(
          'rdev idle RSS',
          'MB',
          mb((r) => r.idle),
        ),
        anchor: measure(
          'graphql-yoga idle RSS',
          'MB',
          mb((r) => r.yogaIdle),
        ),
        target: null,
      }),
      row({
        id: 'B6-subs',
        title: 'RSS per 1,000 idle subscriptions (a connection each) vs budget 50 MB',
        database: 'postgres',
        rdev: measure(
          'rdev growth per 1,000',
          'MB',
          mb((r) => r.perThousand),
        ),
        anchor: measure('budget', 'MB', budget(BUDGET_MB.perThousand)),
        target: { op: '<=', value: 1 },
        details: { sharedConnectionsMB: mb((r) => r.perThousandShared) },
      }),
      row({
        id: 'B6-subs-raw',
        title:
          'RSS per 1,000 idle subscriptions (a connection each) vs a plain ws server per 1,000 connections',
        database: 'postgres',
        rdev: measure(
          'rdev growth per 1,000',
          'MB',
          mb((r) => r.perThousand),
        ),
        anchor: measure(
          'ws server per 1,000 connections',
          'MB',
          mb((r) => r.rawPerThousand),
        ),
        target: null,
      }),
      row({
        id: 'B6-subs-shared',
        title: 'RSS per 1,000 idle subscriptions, 100 per connection, vs budget 50 MB',
        database: 'postgres',
        rdev: measure(
          'rdev growth per 1,000',
          'MB',
          mb((r) => r.perThousandShared),
        ),
        anchor: measure('budget', 'MB', budget(BUDGET_MB.perThousand)),
        target: { op: '<=', value: 1 },
      }),
      row({
        id: 'B6-output',
        title: `RSS while a command prints 200 MB: peak of the second half vs the first (flat: ≤ ${FLAT})`,
        database: 'postgres',
        rdev: measure(
          'second-half peak RSS',
          'MB',
          mb((r) => r.secondHalfPeak),
        ),
        anchor: measure(
          'first-half peak RSS',
          'MB',
          mb((r) => r.firstHalfPeak),
        ),
        target: { op: '<=', value: FLAT },
        details: {
          peakGrowthMB: mb((r) => r.outputPeakGrowth),
          idleMB: mb((r) => r.idle),
          outputSeconds: rounds.map((r) => r.outputSeconds),
        },
      }),
    ];
  },
};

/** RSS growth per 1,000 subscriptions to a running, silent command. */
async function subscriptionGrowth(
  site: RdevSite,
  rdev: RdevServer,
  loader: BenchChild,
  perConnection: number,
): Promise<number> {
  const silent = await runShell(rdev, { projectName: 'bench', script: 'sleep 300' });
  await waitForStatus(site, silent, (s) => s === 'RUNNING');
  const before = await settledRss(rdev.pid);
  const open: OpenOptions = {
    urls: [rdev.wsUrl],
    count: SUBSCRIPTIONS / perConnection,
    subscriptionsPerConnection: perConnection,
    protocol: 'graphql-ws',
    key: site.adminKey,
    query: FANOUT_SUBSCRIPTION,
    variables: { id: silent.globalId },
  };
  await loader.request('open', open);
  // Each subscription is set up by the server after its message arrives: wait until all are.
  for (let waited = 0; (await activeSubscriptions(rdev)) < SUBSCRIPTIONS; waited += 200) {
    if (waited > 60_000) {
      throw new Error(`only ${await activeSubscriptions(rdev)} of ${SUBSCRIPTIONS} subscriptions opened`);
    }
    await sleep(200);
  }
  await sleep(1000);
  const after = await settledRss(rdev.pid);
  await loader.request('close');
  await cancel(rdev, silent);
  await waitForStatus(site, silent, isTerminal);
  await sleep(500);
  return ((after - before) * 1000) / SUBSCRIPTIONS;
}

/** Open graphql-ws subscriptions, as the server's own metrics count them. */
async function activeSubscriptions(rdev: RdevServer): Promise<number> {
  const text = await (await fetch(`${rdev.url}/metrics`)).text();
  const m = /^rdev_active_subscriptions\{transport="graphql-ws"\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** A plain ws server's RSS growth per 1,000 idle connections (what a connection costs anyway). */
async function rawConnectionGrowth(raw: BenchChild, loader: BenchChild): Promise<number> {
  const port = await raw.request<number>('port');
  const before = await settledRss(raw.pid);
  await loader.request('open', { urls: [`ws://127.0.0.1:${port}`], count: SUBSCRIPTIONS, protocol: 'raw' });
  await sleep(2000);
  const after = await settledRss(raw.pid);
  await loader.request('close');
  return after - before;
}

async function yogaIdle(yoga: BenchChild): Promise<number> {
  const port = await yoga.request<number>('listen');
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ hello }"}',
    });
    await res.text();
  }
  await sleep(1000);
  return settledRss(yoga.pid);
}

/** Runs a command printing 200 MB and samples the server's RSS every 100 ms until it ends. */
async function printAndSample(
  site: RdevSite,
  rdev: RdevServer,
): Promise<{
  outputPeakGrowth: number;
  firstHalfPeak: number;
  secondHalfPeak: number;
  outputSeconds: number;
}> {
  const before = await settledRss(rdev.pid);
  const started = performance.now();
  const command = await runShell(rdev, {
    projectName: 'bench',
    script: `yes 'a line of output from a chatty command, about sixty-four bytes long ....' | head -c ${OUTPUT_BYTES}`,
  });
  const samples: number[] = [];
  let done = false;
  const sampling = (async () => {
    while (!done) {
      samples.push(rssOf(rdev.pid));
      await sleep(100);
    }
  })();
  const status = await waitForStatus(site, command, isTerminal, 600_000);
  done = true;
  await sampling;
  if (status !== 'SUCCEEDED') throw new Error(`the 200 MB command ended ${status}`);
  const half = Math.floor(samples.length / 2);
  return {
    outputPeakGrowth: Math.max(...samples) - before,
    firstHalfPeak: Math.max(...samples.slice(0, half)),
    secondHalfPeak: Math.max(...samples.slice(half)),
    outputSeconds: (performance.now() - started) / 1000,
  };
}
