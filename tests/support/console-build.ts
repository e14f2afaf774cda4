import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from './rdev-process.js';

/**
 * vitest global setup: the console's tests serve the built console, so build it first when its
 * sources changed since the last build (a no-op otherwise; `npm ci` built it already).
 */
export default function buildConsole(): void {
  execFileSync(process.execPath, ['scripts/build-console.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
}
