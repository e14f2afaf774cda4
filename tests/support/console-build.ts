import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from './rdev-process.js';

/**
 * vitest global setup: bring the builds up to date once, before the files run side by side. The
 * server bundle: every test that starts `bin/rdev.js` would otherwise find it stale after an edit
 * and compile it in each worker at once. The console: its tests serve the built console. Both are
 * no-ops when nothing changed since the last build (`npm ci` built them already).
 */
export default function buildConsole(): void {
  for (const script of ['scripts/build-server.mjs', 'scripts/build-console.mjs']) {
    execFileSync(process.execPath, [script], { cwd: REPO_ROOT, stdio: 'inherit' });
  }
}
