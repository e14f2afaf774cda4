// Builds the web console (console/) with Vite into console/dist, with a brotli and a gzip copy of
// every text asset so the server never compresses on a request. `npm ci` runs it (`prepare`), so
// `npm ci && npm start` stays the whole set-up.
//
// The build is skipped when the console's sources, the lock file and this script hash to what the
// last build recorded (console/dist/.stamp). Without the console's sources (the container image's
// dependency layer, copied before the sources) or without Vite (an install that left out the
// development dependencies) it says why and exits 0: the server then answers /console with a page
// saying how to build it.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'console');
const out = join(source, 'dist');
const stampFile = join(out, '.stamp');
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|map)$/;

function files(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.name !== 'dist' && e.name !== 'node_modules' && !e.name.startsWith('dist.'))
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

function inputsHash() {
  const hash = createHash('sha256');
  for (const file of [...files(source), join(root, 'package-lock.json'), fileURLToPath(import.meta.url)]) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

function compressAll(dir) {
  for (const file of files(dir)) {
    if (!COMPRESSIBLE.test(file)) continue;
    const body = readFileSync(file);
    writeFileSync(
      `${file}.br`,
      brotliCompressSync(body, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
      }),
    );
    writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
  }
}

async function main() {
  if (!existsSync(join(source, 'index.html'))) {
    console.log('console: no sources here; nothing to build');
    return;
  }
  const hash = inputsHash();
  if (
    !process.argv.includes('--force') &&
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8') === hash
  ) {
    console.log('console: up to date');
    return;
  }
  let vite;
  try {
    vite = await import('vite');
  } catch {
    console.log(
      'console: Vite is not installed (development dependencies left out); /console will say how to build it',
    );
    return;
  }
  const started = Date.now();
  // Built beside the live folder and swapped in, so a running server never reads half a build.
  const staging = join(source, `dist.${process.pid}`);
  try {
    await vite.build({
      configFile: join(source, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: staging, emptyOutDir: true },
    });
    compressAll(staging);
    writeFileSync(join(staging, '.stamp'), hash);
    rmSync(out, { recursive: true, force: true });
    renameSync(staging, out);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const size = files(out)
    .filter((f) => f.endsWith('.js.br'))
    .reduce((n, f) => n + statSync(f).size, 0);
  console.log(
    `console: built in ${Date.now() - started} ms (${Math.round(size / 1024)} KB of JavaScript, brotli)`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
