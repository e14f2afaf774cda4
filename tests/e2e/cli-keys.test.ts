import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { REPO_ROOT, runRdev, startRdev } from '../support/rdev-process.js';

const dir = mkdtempSync(join(tmpdir(), 'rdev-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { RDEV_DATA_DIR: join(dir, 'data'), RDEV_WORKSPACES_DIR: join(dir, 'ws') };

it('rdev keys create prints the key on a line of its own; list and revoke work; the server accepts the key', {
  timeout: 180_000,
}, async () => {
  const create = runRdev(
    [
      'keys',
      'create',
      '--name',
      'deploy bot',
      '--scope',
      'projects:read',
      '--scope',
      'COMMANDS_READ',
      '--project',
      'demo',
    ],
    env,
  );
  expect((await create.exited).code).toBe(0);
  const lines = create.stdout().trim().split('\n');
  expect(lines).toHaveLength(1);
  const key = lines[0]!;
  expect(key).toMatch(/^rdev_[0-9A-Za-z]{36}$/);

  const list = runRdev(['keys', 'list'], env);
  expect((await list.exited).code).toBe(0);
  expect(list.stdout()).toContain('"deploy bot"');
  expect(list.stdout()).not.toContain(key);
  const id = list
    .stdout()
    .split('\n')
    .find((l) => l.includes('deploy bot'))!
    .split('\t')[0]!;

  const server = await startRdev(env);
  try {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ viewer { scopes projectNames } }' }),
    });
    expect(await res.json()).toEqual({
      data: { viewer: { scopes: ['PROJECTS_READ', 'COMMANDS_READ'], projectNames: ['demo'] } },
    });
    // The CLI made the first key, so the server prints no bootstrap key.
    expect(server.stdout()).not.toMatch(/^rdev_/m);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }

  const revoke = runRdev(['keys', 'revoke', id], env);
  expect((await revoke.exited).code).toBe(0);
  const bad = runRdev(['keys', 'create', '--name', 'x', '--scope', 'nope'], env);
  expect((await bad.exited).code).toBe(1);
  expect(bad.stderr()).toContain('unknown scope "nope"');
});

it('rdev migrate applies every migration to an empty database once, then finds nothing to do', {
  timeout: 120_000,
}, async () => {
  const migrations = readdirSync(join(REPO_ROOT, 'migrations')).filter((f) => /^\d+.*\.ts$/.test(f));
  expect(migrations.length).toBeGreaterThan(0);
  const fresh = { ...env, RDEV_DATA_DIR: join(dir, 'migrate-only') };
  const first = runRdev(['migrate'], fresh);
  expect((await first.exited).code, first.stderr()).toBe(0);
  const applied = /^applied: (.*)$/m.exec(first.stdout())?.[1]?.split(', ') ?? [];
  expect(applied).toHaveLength(migrations.length);
  const again = runRdev(['migrate'], fresh);
  expect((await again.exited).code, again.stderr()).toBe(0);
  expect(again.stdout().trim()).toBe('database is up to date');
});
