// `npx tsx bench/profile.ts FILE.cpuprofile|DIR [N]`: the top self-time functions of CPU profiles
// written by `npm run bench -- --profile`, and self time by origin (package, rdev src, node).
import { statSync } from 'node:fs';
import { type ProfileSummary, summariseProfile, summariseProfiles } from './lib/profile-summary.js';

const [target, n = '30'] = process.argv.slice(2);
if (!target) {
  process.stderr.write('usage: npx tsx bench/profile.ts FILE.cpuprofile|DIR [N]\n');
  process.exit(2);
}
const summaries: ProfileSummary[] = statSync(target).isDirectory()
  ? summariseProfiles(target)
  : [summariseProfile(target)];
for (const s of summaries) {
  process.stdout.write(`\n${s.file}: ${s.totalMs} ms busy\n`);
  for (const f of s.top.slice(0, Number(n))) {
    process.stdout.write(
      `  ${f.percent.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}  ${f.where}\n`,
    );
  }
  process.stdout.write('  by origin:\n');
  for (const o of s.byOrigin) {
    process.stdout.write(
      `  ${o.percent.toFixed(1).padStart(5)}%  ${o.selfMs.toFixed(0).padStart(6)} ms  ${o.origin}\n`,
    );
  }
}
