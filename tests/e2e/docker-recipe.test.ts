import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Dockerfile,
  dockerIgnoreMatcher,
  parseEnvPairs,
  readDockerfile,
  replayDockerfile,
  type StageResult,
} from '../support/dockerfile.js';
import { REPO_ROOT } from '../support/rdev-process.js';

/**
 * The image's recipe, proven without a Docker engine: the build context is what `git ls-files`
 * lists (tracked files and new ones not ignored, as Docker would receive the working tree) minus
 * `.dockerignore`; the Dockerfile's own COPY and RUN steps run in a scratch folder (npm ci, build,
 * prune); then the runtime stage's ENTRYPOINT and CMD start the compiled server, which must answer
 * /ready and drain on SIGTERM. Slow (a real `npm ci`), hence the long limits; npm's cache is reused.
 */

const BUILD_TIMEOUT_MS = 8 * 60_000;
const dockerfile: Dockerfile = readDockerfile(REPO_ROOT);
const runtimeStage = dockerfile.stages.at(-1)!;
const ignored = dockerIgnoreMatcher(readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8'));

describe('Dockerfile, read', () => {
  it('builds in one stage and runs from a slim one that only copies from it', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    expect(runtimeStage.image).toMatch(/^node:20[\w.-]*-slim$/);
    const keywords = runtimeStage.instructions.map((i) => i.keyword);
    expect(keywords).not.toContain('RUN');
    for (const copy of runtimeStage.instructions.filter((i) => i.keyword === 'COPY')) {
      expect(copy.flags.from, `line ${copy.line} copies from the build context`).toBeDefined();
    }
  });

  it('runs as a numeric non-root user, in production mode, with Node receiving signals directly', () => {
    const user = runtimeStage.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    const env = Object.assign(
      {},
      ...runtimeStage.instructions.filter((i) => i.keyword === 'ENV').map((i) => parseEnvPairs(i.args)),
    );
    expect(env.NODE_ENV).toBe('production');
    const entrypoint = runtimeStage.instructions.find((i) => i.keyword === 'ENTRYPOINT');
    // Exec form: no `sh -c` between the runtime and Node, so SIGTERM reaches Node.
    expect(entrypoint?.args.trim().startsWith('[')).toBe(true);
    expect(JSON.parse(entrypoint!.args)[0]).toBe('node');
    expect(dockerfile.stages.flatMap((s) => s.instructions).map((i) => i.keyword)).not.toContain(
      'HEALTHCHECK',
    );
  });

  it('keeps dependencies, build output, local state and the history out of the context', () => {
    for (const path of [
      'node_modules/x/index.js',
      'dist/cli.js',
      '.git/HEAD',
      '.rdev/pglite/x',
      'workspaces/demo/a',
      'x.log',
    ]) {
      expect(ignored(path), path).toBe(true);
    }
    for (const path of [
      'src/cli.ts',
      'package-lock.json',
      'migrations/index.ts',
      'scripts/server-bundle.mjs',
    ]) {
      expect(ignored(path), path).toBe(false);
    }
  });
});

describe('Dockerfile, replayed', () => {
  let scratch = '';
  let image: StageResult;
  let server: ChildProcess | null = null;
  let output = '';
  let url = '';

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'rdev-image-'));
    const context = join(scratch, 'context');
    const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
    for (const file of listed.stdout.split('\0').filter(Boolean)) {
      const from = join(REPO_ROOT, file);
      // Tracked but deleted in the working tree: Docker would not see it either.
      if (ignored(file) || !existsSync(from) || !statSync(from).isFile()) continue;
      mkdirSync(join(context, file, '..'), { recursive: true });
      cpSync(from, join(context, file));
    }

    image = replayDockerfile(dockerfile, {
      contextDir: context,
      workDir: join(scratch, 'stages'),
      baseEnv: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? scratch,
        // Docker starts with an empty cache; here the machine's cache spares the network.
        npm_config_prefer_offline: 'true',
        npm_config_update_notifier: 'false',
        ...(process.env.npm_config_cache ? { npm_config_cache: process.env.npm_config_cache } : {}),
      },
    });

    const command = [...(image.entrypoint ?? []), ...(image.cmd ?? [])];
    if (command[0] !== 'node') throw new Error(`the image starts ${command[0]}, not node`);
    const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
    // Absolute paths in the image's ENV point into its root folder here.
    for (const [name, value] of Object.entries(image.env)) {
      env[name] = value.startsWith('/') ? join(image.root, value) : value;
    }
    server = spawn(process.execPath, command.slice(1), {
      cwd: join(image.root, image.workdir),
      env: { ...env, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: 'memory://' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (d) => {
      output += d;
    });
    server.stderr?.on('data', (d) => {
      output += d;
    });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not start:\n${output}`)), 60_000);
      const check = () => {
        const m = /listening on (http:\/\/\S+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      server!.stdout?.on('data', check);
      server!.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the server exited with ${code}:\n${output}`));
      });
    });
  }, BUILD_TIMEOUT_MS);

  // Removing the replayed image (a whole node_modules) takes over a minute on a loaded machine.
  afterAll(() => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }, 180_000);

  it('holds production dependencies, the bundled server, and no sources', () => {
    const at = (p: string) => existsSync(join(image.root, image.workdir, p));
    for (const p of ['dist/cli.js', 'dist/supervise.sh', 'bin/rdev.js', 'node_modules/graphql-yoga']) {
      expect(at(p), `${p} is in the image`).toBe(true);
    }
    for (const p of [
      'src',
      'tests',
      'migrations',
      'tsconfig.json',
      'node_modules/typescript',
      'node_modules/vitest',
      'node_modules/@biomejs/biome',
    ]) {
      expect(at(p), `${p} is not in the image`).toBe(false);
    }
  });

  it('serves /health and /ready from the compiled code', async () => {
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { database: 'ok' } });
    const info = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(info.status).toBe(200);
  });

  it('serves the web console, built in the image', async () => {
    expect(existsSync(join(image.root, image.workdir, 'console/dist/index.html'))).toBe(true);
    const page = await fetch(`${url}/console`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script, html).toBeDefined();
    expect((await fetch(`${url}${script}`)).status).toBe(200);
  });

  it('exits 0 on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    server!.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);
});
