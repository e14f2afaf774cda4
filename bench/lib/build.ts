import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Under node_modules, so the compiled modules resolve packages from the repository's node_modules. */
const BUILD = join(REPO, 'node_modules', '.cache', 'rdev-bench');
const OUT = join(BUILD, 'out');

/** The compiled `rdev` CLI the benchmarks run (plain tsc output, so the benchmark processes share its modules). */
export const RDEV_CLI = join(OUT, 'src', 'cli.js');

/**
 * Compiles rdev, its migrations and the benchmark's own child processes to JavaScript, so that
 * what is measured is the production artifact and no process pays for tsx's module loader (a
 * thread of its own, about 150 MB of RSS, and compile time at start).
 */
export function buildForBench(log: (message: string) => void): void {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(BUILD, { recursive: true });
  const up = relative(BUILD, REPO);
  writeFileSync(
    join(BUILD, 'tsconfig.json'),
    JSON.stringify({
      extends: join(up, 'tsconfig.json'),
      compilerOptions: { outDir: './out', rootDir: up, noEmit: false, declaration: false, sourceMap: false },
      include: ['src', 'migrations', 'bench/lib', 'bench/loaders', 'bench/anchors'].map((p) => join(up, p)),
    }),
  );
  const tsc = spawnSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', BUILD], {
    encoding: 'utf8',
  });
  if (!existsSync(RDEV_CLI)) throw new Error(`compiling rdev failed:\n${tsc.stdout}${tsc.stderr}`);
  // Type errors do not stop tsc from emitting; say so, since the tree may be mid-change.
  if (tsc.status !== 0) log(`tsc reported problems (compiled anyway):\n${tsc.stdout.slice(0, 2000)}`);
  for (const asset of ['src/adapters/supervisor/supervise.sh']) {
    mkdirSync(dirname(join(OUT, asset)), { recursive: true });
    copyFileSync(join(REPO, asset), join(OUT, asset));
  }
  copyFileSync(join(REPO, 'package.json'), join(OUT, 'package.json'));
}

/** The compiled twin of one of the benchmark's TypeScript modules. */
export function compiledModule(module: URL): string {
  const path = fileURLToPath(module);
  return join(OUT, relative(REPO, path)).replace(/\.ts$/, '.js');
}
