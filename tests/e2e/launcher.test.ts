import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/rdev-process.js';

const REPORT = fileURLToPath(new URL('../support/report-loaded-packages.mjs', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** `node [nodeArgs] bin/rdev.js help` in the checkout at `cwd`: its exit code and output. */
async function rdevHelp(cwd = REPO_ROOT, nodeArgs: string[] = []) {
  const child = spawn(process.execPath, [...nodeArgs, join(cwd, 'bin', 'rdev.js'), 'help'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

/**
 * bin/rdev.js runs the compiled bundle (dist/), compiling it first only when the sources changed
 * since: a run never pays for compiling TypeScript, and never runs older code than the sources.
 */
describe('bin/rdev.js', () => {
  it('runs the compiled bundle without loading tsx or esbuild when it is up to date', async () => {
    // The first call compiles if an edit made the bundle stale; the second must not.
    expect((await rdevHelp()).code).toBe(0);
    const { code, stdout, stderr } = await rdevHelp(REPO_ROOT, ['--import', REPORT]);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: rdev <command>');
    expect(stderr).not.toContain('compiling');
    const loaded = JSON.parse(/^loaded-packages: (.*)$/m.exec(stderr)![1]!) as string[];
    expect(loaded).not.toContain('tsx');
    expect(loaded).not.toContain('esbuild');
    // `help` needs no server: none of the GraphQL packages either.
    expect(loaded).not.toContain('graphql-yoga');
  });

  it('compiles the edited sources before running them, once', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'rdev-launcher-'));
    dirs.push(copy);
    for (const path of ['bin', 'src', 'migrations', 'scripts', 'package.json', 'tsconfig.json']) {
      cpSync(join(REPO_ROOT, path), join(copy, path), { recursive: true });
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'));
    const cli = join(copy, 'src', 'cli.ts');
    writeFileSync(cli, readFileSync(cli, 'utf8').replace(".usage('<command>')", ".usage('<verb>')"));

    const first = await rdevHelp(copy);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('rdev: compiling the server (no bundle yet)');
    expect(first.stdout).toContain('Usage: rdev <verb>');

    const again = await rdevHelp(copy);
    expect(again.stderr).toBe('');
    expect(again.stdout).toContain('Usage: rdev <verb>');

    writeFileSync(cli, readFileSync(cli, 'utf8').replace(".usage('<verb>')", ".usage('<noun>')"));
    const edited = await rdevHelp(copy);
    expect(edited.stderr).toContain('rdev: compiling the server (the sources changed)');
    expect(edited.stdout).toContain('Usage: rdev <noun>');
  });
});
