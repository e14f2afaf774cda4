import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }>;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** Sampled time the process was busy (idle excluded), ms. */
  totalMs: number;
  /** Functions by self time. */
  top: Array<{ name: string; where: string; selfMs: number; percent: number }>;
  /** Self time by where the code lives: a package, rdev's own `src/`, Node's internals. */
  byOrigin: Array<{ origin: string; selfMs: number; percent: number }>;
}

/**
 * Self time per function of each process profiled under `dir` (one folder per process, from
 * `node --cpu-prof`). Of a process's threads only the busiest is kept: the main thread, not the
 * module loader's.
 */
export function summariseProfiles(dir: string): ProfileSummary[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .flatMap((name) => {
      const files = readdirSync(join(dir, name)).filter((f) => f.endsWith('.cpuprofile'));
      const summaries = files.map((f) => summariseProfile(join(dir, name, f)));
      summaries.sort((a, b) => b.totalMs - a.totalMs);
      return summaries.slice(0, 1);
    });
}

export function summariseProfile(file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { name: string; where: string; us: number }>();
  const origins = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!node || node.callFrame.functionName === '(idle)') return;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${shorten(url)}:${lineNumber + 1}` : '';
    const key = `${functionName}@${where}`;
    const entry = self.get(key) ?? { name: functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    self.set(key, entry);
    const origin = originOf(url, functionName);
    origins.set(origin, (origins.get(origin) ?? 0) + us);
  });
  const pct = (us: number) => (total > 0 ? (100 * us) / total : 0);
  return {
    file: file.split('/').slice(-3).join('/'),
    totalMs: Math.round(total / 1000),
    top: [...self.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, 25)
      .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, percent: pct(e.us) })),
    byOrigin: [...origins.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([origin, us]) => ({ origin, selfMs: us / 1000, percent: pct(us) })),
  };
}

/** Where the benchmark's compiled copy of rdev lives (see build.ts). */
const BUILD_OUT = '/node_modules/.cache/rdev-bench/out/';

function shorten(url: string): string {
  const built = url.indexOf(BUILD_OUT);
  if (built >= 0) return url.slice(built + BUILD_OUT.length);
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

function originOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.includes(`${BUILD_OUT}src/`)) return 'rdev src';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/src/')) return 'rdev src';
  return 'other';
}
