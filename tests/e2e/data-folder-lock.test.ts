import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { spawnAndCapture } from '../support/processes.js';
import { runRdev, startRdev } from '../support/rdev-process.js';

const dir = mkdtempSync(join(tmpdir(), 'rdev-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { RDEV_DATA_DIR: join(dir, 'data'), RDEV_WORKSPACES_DIR: join(dir, 'ws') };
const folder = join(dir, 'data', 'pglite');
const lockFile = `${folder}.lock`;

async function run(args: string[]) {
  const proc = runRdev(args, env);
  const { code } = await proc.exited;
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}

it('with the embedded database, a second rdev refuses the data folder the server holds, naming its pid', {
  timeout: 240_000,
}, async () => {
  // The first start creates the database: slow on a busy machine.
  const server = await startRdev(env, 150_000);
  const refusal = new RegExp(
    `another rdev \\(pid ${server.child.pid}\\) is using the data folder ${folder}; stop it first or set DATABASE_URL`,
  );
  try {
    // What a new user did: create a key while the server runs. It used to print a key the
    // server's database never kept.
    const create = await run(['keys', 'create', '--name', 'admin', '--scope', 'admin']);
    expect(create.code).toBe(1);
    expect(create.stdout).toBe('');
    expect(create.stderr.trim()).toMatch(new RegExp(`^rdev keys create: ${refusal.source}`));

    const second = await run(['serve']);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(new RegExp(`^rdev: ${refusal.source}`, 'm'));
    expect(second.stderr).not.toContain('Aborted');

    for (const args of [['keys', 'list'], ['migrate']]) {
      const refused = await run(args);
      expect(refused.code, args.join(' ')).toBe(1);
      expect(refused.stderr, args.join(' ')).toMatch(refusal);
    }
    // The server is unharmed by the attempts.
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  expect(existsSync(lockFile)).toBe(false);

  // Stopped, the folder is free: `keys create --admin` makes a working admin key.
  const create = await run(['keys', 'create', '--admin']);
  expect(create.code, create.stderr).toBe(0);
  expect(create.stdout.trim()).toMatch(/^rdev_[0-9A-Za-z]{36}$/);
  const list = await run(['keys', 'list', '--json']);
  expect(JSON.parse(list.stdout)).toContainEqual(
    expect.objectContaining({ name: 'admin', scopes: ['admin'] }),
  );
  expect(existsSync(lockFile)).toBe(false);
});

// Runs on the folder the test above created (creating one costs seconds of initdb).
it('takes over a lock left by a process that died, or whose pid now belongs to another program', {
  timeout: 120_000,
}, async () => {
  expect(existsSync(join(folder, 'PG_VERSION'))).toBe(true);
  // A pid that was alive and is no more.
  const gone = await spawnAndCapture(process.execPath, ['-p', 'process.pid']);
  writeFileSync(lockFile, JSON.stringify({ pid: Number(gone.stdout), startedAt: '1', host: hostname() }));
  const first = await run(['keys', 'list']);
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout).toContain('"admin"');
  expect(existsSync(lockFile)).toBe(false);

  // A live pid (this test's) that started at another time: a pid reused after a crash.
  writeFileSync(lockFile, JSON.stringify({ pid: process.pid, startedAt: '1', host: hostname() }));
  const second = await run(['migrate']);
  expect(second.code, second.stderr).toBe(0);
  expect(second.stdout.trim()).toBe('database is up to date');
  expect(existsSync(lockFile)).toBe(false);
});
