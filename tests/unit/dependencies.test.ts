import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../support/rdev-process.js';

/** Packages that are run rather than imported, with where. */
const TOOLS: Record<string, string> = {
  '@biomejs/biome': 'npm run lint; scripts/gen-docs-format.ts runs its binary',
  '@graphql-codegen/client-preset': "codegen.ts names it as preset 'client'",
  'dependency-cruiser': 'npm run deps:check',
  typescript: 'npm run typecheck',
};

const FOLDERS = ['src', 'console', 'tests', 'bench', 'scripts', 'bin', 'migrations'];
const SOURCE = /\.(ts|tsx|mts|js|mjs|cjs)$/;
const SPECIFIER =
  /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\brequire(?:\.resolve)?\s*\(\s*)['"]([^'"./][^'"]*)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter(
      // Built bundles (console/dist) hold the packages' code, not imports of them.
      (entry) =>
        entry.isFile() && SOURCE.test(entry.name) && !/\/(node_modules|dist)(\/|$)/.test(entry.parentPath),
    )
    .map((entry) => join(entry.parentPath, entry.name));
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

it('every dependency in package.json is imported somewhere, or is a tool the scripts run', () => {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
  const declared = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
  const files = [
    ...FOLDERS.flatMap((folder) => sourceFiles(join(REPO_ROOT, folder))),
    ...readdirSync(REPO_ROOT)
      .filter((name) => SOURCE.test(name))
      .map((name) => join(REPO_ROOT, name)),
  ];
  const imported = new Set<string>();
  for (const file of files) {
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      if (!specifier!.startsWith('node:')) imported.add(packageOf(specifier!));
    }
  }
  const unused = declared.filter((name) => {
    if (imported.has(name) || name in TOOLS) return false;
    // Types of a package that is used, or of Node itself.
    const typed = name.startsWith('@types/') ? name.slice('@types/'.length) : null;
    return !(typed === 'node' || (typed !== null && imported.has(typed)));
  });
  expect(unused, 'remove them with `npm uninstall`, or list a tool in TOOLS').toEqual([]);
});
