/**
 * docs/api/quick-start.md, followed word for word on a fresh copy of the repository: its first
 * `sh` block (`npm ci && npm start`) runs as it is, and the others run in order in one shell, as
 * in the reader's second terminal. The only change is the reader's own: the address and the key
 * `npm start` printed are pasted into step 2 (the server listens on a free port here, not 4000,
 * so tests can run side by side). Slow (a real `npm ci`); npm's cache is reused.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fencedBlocks } from '../support/markdown.js';
import { REPO_ROOT } from '../support/rdev-process.js';

const GUIDE = join(REPO_ROOT, 'docs', 'api', 'quick-start.md');
const START_TIMEOUT_MS = 8 * 60_000;

/** What `git clone` would give: tracked files and new ones not ignored, as they are now. */
function freshCopy(into: string): void {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    const from = join(REPO_ROOT, file);
    if (!existsSync(from) || !statSync(from).isFile()) continue;
    mkdirSync(join(into, file, '..'), { recursive: true });
    cpSync(from, join(into, file));
  }
}

describe('the docs/api quick start, word for word', () => {
  const sh = fencedBlocks(readFileSync(GUIDE, 'utf8')).filter((b) => b.lang === 'sh');
  let scratch = '';
  let server: ChildProcess | null = null;
  let printed = '';
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    // A fresh clone has an empty cache; here the machine's cache spares the network.
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    ...(process.env.npm_config_cache ? { npm_config_cache: process.env.npm_config_cache } : {}),
  };

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'rdev-quickstart-'));
    freshCopy(join(scratch, 'rdev'));
  });
  afterAll(async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      process.kill(-server.pid!, 'SIGKILL');
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  it('starts with `npm ci && npm start`, which prints the address and a first admin key', {
    timeout: START_TIMEOUT_MS + 30_000,
  }, async () => {
    expect(sh[0]?.code).toBe('npm ci && npm start');
    // Its own process group, so the test can stop npm and the server it started together. `script`
    // gives it a terminal, as the reader has: rdev prints the first key only on a terminal.
    server = spawn('script', ['-qfec', sh[0]!.code, '/dev/null'], {
      cwd: join(scratch, 'rdev'),
      env: { ...env, PORT: '0' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let errors = '';
    server.stdout!.on('data', (d) => {
      printed = (printed + d).replace(/\r\n/g, '\n');
    });
    server.stderr!.on('data', (d) => {
      errors += d;
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no admin key printed:\n${printed}\n${errors}`)),
        START_TIMEOUT_MS,
      );
      const check = () => {
        if (/First admin API key[^\n]*\n(rdev_\w+)\n/.test(printed)) {
          clearTimeout(timer);
          resolve();
        }
      };
      server!.stdout!.on('data', check);
      server!.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`npm exited with ${code}:\n${printed}\n${errors}`));
      });
    });
    expect(printed).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+\n/);
    expect(printed).toMatch(/GraphiQL: http:\/\/127\.0\.0\.1:\d+\/graphql/);
  });

  it('then, in a second terminal, runs every other step of the guide in order', {
    timeout: 120_000,
  }, async () => {
    const url = /listening on (http:\/\/\S+)/.exec(printed)?.[1];
    const adminKey = /First admin API key[^\n]*\n(rdev_\w+)\n/.exec(printed)?.[1];
    expect(url && adminKey, 'the server printed its address and key').toBeTruthy();

    // Step 2 is where the reader pastes what was printed.
    const steps = sh.slice(1).map((b) => b.code);
    const paste = steps.findIndex((code) => code.includes("export ADMIN_KEY='<the key npm start printed>'"));
    expect(paste, 'step 2 asks for the printed key').toBeGreaterThanOrEqual(0);
    expect(steps[paste]).toContain('export RDEV_URL=http://127.0.0.1:4000\n');
    steps[paste] = steps[paste]!.replace('http://127.0.0.1:4000', url!).replace(
      "'<the key npm start printed>'",
      `'${adminKey}'`,
    );

    // One shell, as a terminal: variables carry from step to step; any failing command stops it.
    const script = ['set -eu', ...steps.map((code, i) => `echo "### block ${i + 2}"\n${code}`)].join('\n');
    const run = spawnSync('bash', ['-c', script], {
      cwd: join(scratch, 'rdev'),
      env,
      encoding: 'utf8',
      timeout: 90_000,
    });
    const out = run.stdout;
    expect(run.status, `${out}\n${run.stderr}`).toBe(0);
    // What each `sh` block printed, by its place among them (block 1 started the server).
    const section = (n: number) => out.split(`### block ${n}\n`)[1]?.split('### block')[0] ?? '';

    expect(JSON.parse(section(2))).toMatchObject({ status: 'ready' });
    expect(section(3).trim()).toMatch(/^rdev_[0-9A-Za-z]{36}$/);
    expect(JSON.parse(section(4)).data.projects.edges).toContainEqual({
      node: expect.objectContaining({ name: 'demo', status: 'RUNNING' }),
    });
    expect(section(5).trim()).toMatch(/^[A-Za-z0-9+/=]+$/);
    // The live stream: the command's output, its end, and the end of the stream.
    const stream = section(6);
    expect(stream).toContain('hello from rdev\\n');
    expect(stream).toMatch(/"end":\{"status":"SUCCEEDED","exitCode":0\}/);
    expect(stream).toMatch(/event: complete/);
    const stored = JSON.parse(section(7)).data.command;
    expect(stored).toMatchObject({ status: 'SUCCEEDED', exitCode: 0 });
    expect(stored.output[0]).toMatchObject({
      seq: 1,
      stream: 'STDOUT',
      data: expect.stringMatching(/^hello from rdev\n/),
    });
    const legacy = section(8);
    expect(legacy).toContain('event: output\ndata: {"seq":1,"stream":"STDOUT","data":"hello again\\n"');
    expect(legacy).toMatch(/event: end\ndata: \{.*"status":"SUCCEEDED","exitCode":0\}/);
  });

  it('stops gracefully on Ctrl-C', { timeout: 60_000 }, async () => {
    expect(server?.exitCode).toBeNull();
    const exited = new Promise<void>((resolve) => server!.once('exit', () => resolve()));
    // Ctrl-C typed on the terminal: it sends SIGINT to the foreground process group (sh, npm and
    // the server).
    server!.stdin!.write('\x03');
    await exited;
    expect(printed).toMatch(/"msg":"shutting down"[\s\S]*"msg":"stopped"/);
  });
});
