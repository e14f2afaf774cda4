// The server as one compiled bundle: src/cli.ts and everything it imports from src/ and
// migrations/ (not the npm packages, which stay in node_modules), built by esbuild into dist/.
// `npm ci` builds it (prepare), `npm run build` builds it for the container image, and
// bin/rdev.js rebuilds it before running when a source changed since, so `npm start` never pays
// for compiling TypeScript at run time and never runs code older than the sources.
//
// Plain JavaScript with node: imports only, so that checking the bundle costs nothing to load.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout (or the image's /app) this script belongs to. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What the bundle is built from; a change to any file under these (or this script) rebuilds it. */
const SOURCE_DIRS = ['src', 'migrations'];
/** Files the bundle reads beside itself at run time (`new URL('./x', import.meta.url)`). */
const ASSETS = ['src/adapters/supervisor/supervise.sh'];
const STAMP = '.source-stamp';
/** Chunks no longer referenced are removed once this old: a running server may still import one. */
const STALE_CHUNK_MS = 60 * 60_000;

/** Where the bundle of the checkout at `root` lives; its entry is `cli.js`. */
export function bundleDir(root = ROOT) {
  return join(root, 'dist');
}

/** True when `root` holds the sources (a checkout), false in the container image. */
export function hasSources(root = ROOT) {
  return existsSync(join(root, 'src', 'cli.ts'));
}

/**
 * A cheap summary of the sources: file count, total size and newest modification time of every
 * file under src/ and migrations/, and of this script. Editing, adding, removing or checking out
 * a file changes it; reading the sources' contents is not needed (a few milliseconds for ~200 files).
 */
export function sourceFingerprint(root = ROOT) {
  let count = 0;
  let bytes = 0;
  let newest = 0;
  const visit = (path) => {
    const stat = statSync(path);
    count += 1;
    bytes += stat.size;
    newest = Math.max(newest, stat.mtimeMs);
  };
  for (const dir of SOURCE_DIRS) {
    const base = join(root, dir);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) visit(join(entry.parentPath ?? entry.path, entry.name));
    }
  }
  visit(fileURLToPath(import.meta.url));
  return `files=${count} bytes=${bytes} newest=${Math.trunc(newest)}`;
}

/** Why the bundle must be (re)built, or null when it matches the sources. */
export function bundleStaleness(root = ROOT) {
  const dir = bundleDir(root);
  if (!existsSync(join(dir, 'cli.js')) || !existsSync(join(dir, STAMP))) return 'no bundle yet';
  if (readFileSync(join(dir, STAMP), 'utf8') !== sourceFingerprint(root)) return 'the sources changed';
  return null;
}

/**
 * Bundles src/cli.ts into dist/ with esbuild. Dynamically imported modules become their own
 * chunks, so a process still loads PGlite, the OpenTelemetry SDK and the Kubernetes client only
 * when it uses them. Every file is written beside its target and renamed into place, and chunks
 * carry a hash of their content, so processes starting while another one rebuilds read either
 * the old bundle or the new one, never half of one.
 */
export async function buildBundle(root = ROOT) {
  const fingerprint = sourceFingerprint(root);
  const { build } = await import('esbuild');
  const dir = bundleDir(root);
  const result = await build({
    absWorkingDir: root,
    entryPoints: { cli: join(root, 'src', 'cli.ts') },
    outdir: dir,
    chunkNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    // Error classes and Pothos types are told apart by name in places; keep names as written.
    keepNames: true,
    sourcemap: 'linked',
    sourcesContent: false,
    write: false,
    logLevel: 'silent',
  });
  mkdirSync(dir, { recursive: true });
  const written = new Set([STAMP]);
  // The entry last: until it is renamed into place, the previous entry and its chunks stay whole.
  const outputs = [...result.outputFiles].sort((a, b) => entryLast(a.path) - entryLast(b.path));
  for (const file of outputs) {
    writeAtomically(file.path, file.contents);
    written.add(basename(file.path));
  }
  for (const asset of ASSETS) {
    writeAtomically(join(dir, basename(asset)), readFileSync(join(root, asset)));
    written.add(basename(asset));
  }
  writeAtomically(join(dir, STAMP), fingerprint);
  removeOldChunks(dir, written);
  return { files: outputs.length };
}

function entryLast(path) {
  return basename(path).startsWith('cli.js') ? 1 : 0;
}

function writeAtomically(path, contents) {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

function removeOldChunks(dir, keep) {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    if (keep.has(name)) continue;
    const path = join(dir, name);
    try {
      if (now - statSync(path).mtimeMs > STALE_CHUNK_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // removed meanwhile by another build
    }
  }
}
