/**
 * What tracing costs: GraphQL query throughput of one app recording and exporting every span
 * (OTLP/HTTP to a local collector that accepts and drops them, `always_on`), as a ratio of the same
 * app with tracing off, measured alternately in one run. Metrics and logs are on in both (they
 * cannot be turned off). Target: a ratio of at least 0.8.
 *
 *   npx tsx bench/observability-overhead.ts [seconds per round=4] [connections=10] [rounds=3]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/observability/logger.js';

const seconds = Number(process.argv[2] ?? 4);
const connections = Number(process.argv[3] ?? 10);
const rounds = Number(process.argv[4] ?? 3);
const QUERY = 'query Bench { viewer { scopes } serverInfo { version } }';

const collector = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;

const quiet = () =>
  createLogger({ level: 'info', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
async function start(env: Record<string, string>) {
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: 'memory://',
    RDEV_RATE_LIMIT_PER_KEY: '10000000',
    ...env,
  });
  const app = await createApp(config, { logger: quiet() });
  const { url } = await app.start();
  return { app, url, key: app.bootstrapAdminKey! };
}

const on = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'always_on' });
const off = await start({ OTEL_SDK_DISABLED: 'true' });
if (!on.app.tracing.exporting || off.app.tracing.exporting)
  throw new Error('tracing is not set up as intended');

async function rate(target: { url: string; key: string }): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  const body = JSON.stringify({ query: QUERY });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${target.key}` };
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < deadline) {
        const res = await fetch(`${target.url}/graphql`, { method: 'POST', headers, body });
        if (res.status !== 200) throw new Error(`status ${res.status}`);
        await res.arrayBuffer();
        done++;
      }
    }),
  );
  return done / seconds;
}

await rate(on);
await rate(off);
const ratios: number[] = [];
for (let i = 0; i < rounds; i++) {
  const tracedQps = await rate(on);
  const plainQps = await rate(off);
  ratios.push(tracedQps / plainQps);
  console.log(`round ${i + 1}: traced ${tracedQps.toFixed(0)} q/s, untraced ${plainQps.toFixed(0)} q/s`);
}
ratios.sort((a, b) => a - b);
const median = ratios[Math.floor(ratios.length / 2)]!;
console.log(`median ratio traced/untraced: ${median.toFixed(3)} (target >= 0.8)`);
await on.app.stop();
await off.app.stop();
collector.close();
