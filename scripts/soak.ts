/**
 * `npm run soak`: a bounded long run of mixed load against a real `rdev serve` on loopback, to
 * catch what only shows over time: memory that keeps growing, descriptors that leak, an event
 * loop that falls behind, errors that creep in.
 *
 *   npm run soak -- [--minutes N] [--sample-seconds S] [--warmup-minutes W] [--database-url URL]
 *                   [--max-old-space-mb M] [--out FILE]
 *
 * Defaults: 10 minutes (or RDEV_SOAK_MINUTES), a sample every 5 s, warm-up of a fifth of the run
 * (at most 2 minutes), the embedded database unless a PostgreSQL URL is given
 * (RDEV_SOAK_DATABASE_URL also works; a scratch database is created in that server and dropped
 * afterwards), a 256 MB old space for the server (0: V8's default). Exits 1 when memory (RSS, heap
 * used, external, or the heap left after full collections) grew more than 10 % after warm-up, or
 * any request got a 5xx or no answer, or a webhook was lost.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { generateKeyText } from '../src/domain/api-key-text.js';
import { startRdev } from '../tests/support/rdev-process.js';
import {
  commands,
  gql,
  mutations,
  newStats,
  queries,
  sseClients,
  type Target,
  wsSubscribers,
} from './soak/load.js';
import {
  parseCollections,
  parseSample,
  retainedGrowth,
  type Sample,
  sampleTable,
  verdict,
} from './soak/samples.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: process.env.RDEV_SOAK_MINUTES ?? '10' },
    'sample-seconds': { type: 'string', default: '5' },
    'warmup-minutes': { type: 'string' },
    'database-url': { type: 'string', default: process.env.RDEV_SOAK_DATABASE_URL },
    'max-old-space-mb': { type: 'string', default: '256' },
    out: { type: 'string' },
  },
});
const minutes = Number(args.minutes);
const sampleSeconds = Number(args['sample-seconds']);
if (!(minutes > 0) || !(sampleSeconds > 0)) {
  console.error('--minutes and --sample-seconds must be positive numbers');
  process.exit(2);
}
const warmupSeconds = Number(args['warmup-minutes'] ?? Math.min(2, minutes / 5)) * 60;

/** A database of its own in the given PostgreSQL server, dropped afterwards. */
async function scratchDatabase(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rdev_soak_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const own = new URL(url);
  own.pathname = `/${name}`;
  return {
    url: own.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'rdev-soak-'));
  mkdirSync(join(dir, 'workspaces', 'soak'), { recursive: true });
  writeFileSync(join(dir, 'workspaces', 'rdev-projects.yaml'), 'soak:\n  max_concurrent_commands: 4\n');
  const database = args['database-url'] ? await scratchDatabase(args['database-url']) : null;

  // The webhook receiver: counts messages by their stable id.
  const received = new Map<string, number>();
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      received.set(id, (received.get(id) ?? 0) + 1);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  const key = generateKeyText();
  // V8 sizes its heap from the memory it sees: on a host without a container limit, from all of
  // the RAM, letting garbage pile up to hundreds of MB before a full collection. The server gets
  // an old space of half the 512 MiB limit of manifests/base instead (0: V8's default), and
  // --trace-gc, so that what survives each full collection can be followed.
  const maxOldSpace = Number(args['max-old-space-mb']);
  const spawnedAt = Date.now();
  const nodeArgs = [...(maxOldSpace > 0 ? [`--max-old-space-size=${maxOldSpace}`] : []), '--trace-gc'];
  const server = await startRdev(
    {
      RDEV_DATA_DIR: join(dir, 'data'),
      RDEV_WORKSPACES_DIR: join(dir, 'workspaces'),
      RDEV_BOOTSTRAP_ADMIN_KEY: key,
      RDEV_LOG_LEVEL: 'warn',
      RDEV_RATE_LIMIT_PER_KEY: '10000000',
      RDEV_WEBHOOK_ALLOW_PRIVATE: 'true',
      RDEV_WEBHOOK_RETRY_SCHEDULE: '1s,2s,5s,10s',
      NODE_ENV: 'production',
      ...(database ? { DATABASE_URL: database.url } : {}),
    },
    90_000,
    nodeArgs,
  );
  const target: Target = { url: server.url, key, project: 'soak' };
  const stats = newStats();
  const hook = await gql(
    target,
    stats,
    `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { ... on CreateWebhookPayload { webhook { id } } } }`,
    {
      input: {
        url: receiverUrl,
        events: ['COMMAND_QUEUED', 'COMMAND_STARTED', 'COMMAND_SUCCEEDED', 'COMMAND_CANCELLED'],
      },
    },
  );
  const webhookId: string = hook.createWebhook.webhook.id;

  console.log(
    `soak: ${minutes} min against ${server.url} (pid ${server.child.pid}, ${database ? 'PostgreSQL' : 'PGlite'}), a sample every ${sampleSeconds} s, warm-up ${warmupSeconds} s`,
  );
  const controller = new AbortController();
  const { signal } = controller;
  // Every load loop waits on this one signal.
  setMaxListeners(100, signal);
  const loops = [
    ...Array.from({ length: 4 }, () => queries(target, stats, signal)),
    mutations(target, stats, signal, webhookId),
    ...Array.from({ length: 3 }, () => commands(target, stats, signal)),
    ...Array.from({ length: 3 }, () => wsSubscribers(target, stats, signal)),
    ...Array.from({ length: 2 }, () => sseClients(target, stats, signal)),
  ];

  const samples: Sample[] = [];
  const started = Date.now();
  const errors = () => (stats.byStatus['5xx'] ?? 0) + stats.noAnswer;
  while (Date.now() - started < minutes * 60_000) {
    await new Promise((r) => setTimeout(r, sampleSeconds * 1000));
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const sample = parseSample(text, (Date.now() - started) / 1000, stats.requests, errors());
    samples.push(sample);
    console.log(
      `  ${sample.at.toFixed(0)} s: rss ${(sample.rssBytes / 1048576).toFixed(1)} MB, heap ${(sample.heapUsedBytes / 1048576).toFixed(1)} MB, fds ${sample.openFds}, lag p99 ${(sample.lagP99Seconds * 1000).toFixed(1)} ms, ${stats.requests} requests, ${errors()} errors`,
    );
  }
  controller.abort();
  await Promise.all(loops);
  // Let the last commands end, so their final events are sent too.
  for (let i = 0; i < 120; i++) {
    const data = await gql(target, stats, '{ queue { projects { queued running } } }');
    const busy = (data?.queue?.projects ?? []).reduce((n: number, p: any) => n + p.queued + p.running, 0);
    if (busy === 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }

  // Every webhook event must arrive once the queue drains.
  const deliveries = async () => {
    let after: string | null = null;
    let pending = 0;
    let failed = 0;
    let total = 0;
    const ids: string[] = [];
    for (;;) {
      const data = await gql(
        target,
        stats,
        `query($id: ID!, $after: String) { node(id: $id) { ... on Webhook { deliveries(first: 50, after: $after) {
          edges { node { status messageId } } pageInfo { hasNextPage endCursor } } } } }`,
        { id: webhookId, after },
      );
      const page = data?.node?.deliveries;
      if (!page) break;
      for (const { node } of page.edges) {
        total++;
        ids.push(node.messageId);
        if (node.status === 'PENDING') pending++;
        if (node.status === 'FAILED') failed++;
      }
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    return { pending, failed, total, ids };
  };
  let webhooks = await deliveries();
  for (let i = 0; i < 60 && webhooks.pending > 0; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    webhooks = await deliveries();
  }
  const lost = webhooks.ids.filter((id) => !received.has(id)).length;

  const v = verdict(samples, warmupSeconds);
  const collections = parseCollections(server.stdout(), (started - spawnedAt) / 1000);
  const retained = retainedGrowth(collections, v, samples.at(-1)?.at ?? 0);
  const fiveXx = stats.byStatus['5xx'] ?? 0;
  const ok =
    v.rssGrowthPercent <= 10 &&
    v.heapGrowthPercent <= 10 &&
    v.externalGrowthPercent <= 10 &&
    retained.percent <= 10 &&
    fiveXx === 0 &&
    stats.noAnswer === 0 &&
    lost === 0;
  const report = [
    `## Soak: ${minutes} min, ${database ? 'PostgreSQL' : 'PGlite'}, old space ${maxOldSpace > 0 ? `${maxOldSpace} MB` : 'V8 default'}, ${new Date().toISOString()}`,
    '',
    sampleTable(samples),
    '',
    `- requests: ${stats.requests} (${Object.entries(stats.byStatus)
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ')}), no answer: ${stats.noAnswer}`,
    `- GraphQL error codes: ${JSON.stringify(stats.errorCodes)}`,
    `- commands: ${stats.commands.length >= 200 ? '200+' : stats.commands.length} started; graphql-ws subscriptions: ${stats.subscriptions} (${stats.subscriptionErrors} ended with an error), ${stats.outputEvents} events; SSE streams: ${stats.sseStreams}`,
    `- webhooks: ${webhooks.total} deliveries, ${webhooks.pending} pending, ${webhooks.failed} failed, ${lost} never received; ${[...received.values()].reduce((a, b) => a + b, 0)} requests for ${received.size} messages`,
    `- growth after warm-up (${v.warmupSeconds} s; medians of the first and the last ${v.windowSeconds.toFixed(0)} s): RSS ${v.rssGrowthPercent.toFixed(1)} %, heap used ${v.heapGrowthPercent.toFixed(1)} %, external ${v.externalGrowthPercent.toFixed(1)} %, heap after full collections ${retained.percent.toFixed(1)} % (${(retained.first / 1048576).toFixed(1)} → ${(retained.last / 1048576).toFixed(1)} MB, ${retained.count} collections), fds ${v.fdsFirst} → ${v.fdsLast}, event-loop lag p99 median ${v.lagP99MedianMs.toFixed(1)} ms, max ${v.lagP99MaxMs.toFixed(1)} ms`,
    `- verdict: ${ok ? 'PASS' : 'FAIL'} (memory growth ≤ 10 %, no 5xx, every request answered, no webhook lost)`,
  ].join('\n');
  console.log(`\n${report}\n`);
  if (args.out)
    writeFileSync(
      args.out,
      JSON.stringify(
        {
          minutes,
          maxOldSpace,
          samples,
          collections,
          retained,
          stats,
          webhooks: { ...webhooks, ids: undefined, lost },
          verdict: v,
          ok,
        },
        null,
        2,
      ),
    );

  server.child.kill('SIGTERM');
  await server.exited;
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
