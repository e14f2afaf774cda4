import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBundle, bundleStaleness, sourceFingerprint } from '../../scripts/server-bundle.mjs';

const root = mkdtempSync(join(tmpdir(), 'rdev-bundle-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
}

const runBundle = () =>
  spawnSync(process.execPath, [join(root, 'dist', 'cli.js')], { encoding: 'utf8' }).stdout.trim();

/** A checkout in miniature: an entry importing a module and a migration, and the supervisor script. */
write(
  'src/cli.ts',
  "import { word } from './word.js';\nimport { up } from '../migrations/m.js';\nconsole.log(word, up());\n",
);
write('src/word.ts', "export const word: string = 'one';\n");
write('migrations/m.ts', 'export const up = (): number => 1;\n');
write('src/adapters/supervisor/supervise.sh', 'exit 0\n');

describe('the server bundle', () => {
  it('is built when missing, and then matches its sources', async () => {
    expect(bundleStaleness(root)).toBe('no bundle yet');
    await buildBundle(root);
    expect(bundleStaleness(root)).toBeNull();
    expect(runBundle()).toBe('one 1');
  });

  it('is stale after a source is edited, and the rebuild runs the edit', async () => {
    write('src/word.ts', "export const word: string = 'two';\n");
    // An editor may keep the size and land within the same millisecond; the newest time still moves.
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(root, 'src/word.ts'), later, later);
    expect(bundleStaleness(root)).toBe('the sources changed');
    await buildBundle(root);
    expect(bundleStaleness(root)).toBeNull();
    expect(runBundle()).toBe('two 1');
  });

  it('is stale after a file is added or removed, in src/ or in migrations/', async () => {
    const before = sourceFingerprint(root);
    write('migrations/n.ts', 'export {};\n');
    expect(sourceFingerprint(root)).not.toBe(before);
    expect(bundleStaleness(root)).toBe('the sources changed');
    rmSync(join(root, 'migrations/n.ts'));
    write('src/old.ts', 'export {};\n');
    utimesSync(join(root, 'src/old.ts'), new Date(0), new Date(0));
    expect(bundleStaleness(root)).toBe('the sources changed');
  });

  it('carries the files read beside it at run time', async () => {
    await buildBundle(root);
    expect(spawnSync('cat', [join(root, 'dist', 'supervise.sh')], { encoding: 'utf8' }).stdout).toBe(
      'exit 0\n',
    );
  });
});
