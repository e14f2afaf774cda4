#!/usr/bin/env node
// Runs the compiled server (dist/cli.js, see scripts/server-bundle.mjs). In a checkout it first
// rebuilds the bundle when a file under src/ or migrations/ changed since it was built, so an
// edit is never run as old code; in the container image there are no sources and it just runs.
// If the bundle cannot be built (esbuild missing), the sources run through tsx instead: slower to
// start, same behaviour.
import { existsSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const entry = new URL('dist/cli.js', root);

if (existsSync(new URL('src/cli.ts', root))) {
  const bundle = await import(new URL('scripts/server-bundle.mjs', root).href);
  const reason = bundle.bundleStaleness();
  let built = reason === null;
  if (!built) {
    const started = Date.now();
    process.stderr.write(`rdev: compiling the server (${reason})…\n`);
    try {
      await bundle.buildBundle();
      built = true;
      process.stderr.write(`rdev: compiled in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    } catch (error) {
      process.stderr.write(
        `rdev: could not compile the server (${error instanceof Error ? error.message.split('\n')[0] : error}); running the sources through tsx, which starts slower\n`,
      );
    }
  }
  if (built) {
    await import(entry.href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import(new URL('src/cli.ts', root).href);
  }
} else {
  await import(entry.href);
}
