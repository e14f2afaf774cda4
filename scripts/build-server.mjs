// `npm run build` (and `npm ci`, through prepare): bundles the server into dist/ when its sources
// changed since the last bundle (scripts/server-bundle.mjs says how). Without the sources (the
// container image's dependency layer, copied before them) it says so and exits 0.
import { buildBundle, bundleStaleness, hasSources } from './server-bundle.mjs';

if (!hasSources()) {
  console.log('server: no sources here; nothing to build');
} else {
  const reason = process.argv.includes('--force') ? 'forced' : bundleStaleness();
  if (reason === null) {
    console.log('server: up to date');
  } else {
    const started = Date.now();
    try {
      const { files } = await buildBundle();
      console.log(`server: bundled in ${Date.now() - started} ms (${files} files in dist/; ${reason})`);
    } catch (error) {
      console.error(`server: the bundle failed:\n${error instanceof Error ? error.message : error}`);
      process.exit(1);
    }
  }
}
