// `npx tsx bench/startup.ts [--repo DIR] [--rounds N]`: the start-up benchmark (S) on its own,
// optionally against another checkout (`--repo`, e.g. the main branch's, for a before/after).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureStartup } from './benchmarks/s-startup.js';
import { loadAverage } from './lib/machine.js';
import { formatTable } from './lib/table.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    repo: { type: 'string', default: fileURLToPath(new URL('..', import.meta.url)) },
    rounds: { type: 'string', default: '3' },
  },
});
const repo = resolve(values.repo);
const before = loadAverage();
const rows = await measureStartup(repo, Number(values.rounds), (m) =>
  process.stderr.write(`[startup] ${m}\n`),
);
process.stdout.write(
  `${repo}; load average ${before.join(' ')} at start, ${loadAverage().join(' ')} at the end\n\n${formatTable(rows)}\n`,
);
