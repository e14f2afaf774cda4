import { readFileSync } from 'node:fs';

/** The package version, read once from package.json (one level up from src/ or from the bundle in dist/). */
export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      name?: string;
      version?: string;
    };
    if (pkg.name === 'rdev' && pkg.version) return pkg.version;
  } catch {
    // no package.json where expected: report the placeholder below
  }
  return '0.0.0';
})();
