import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runRdev, startRdev } from '../support/rdev-process.js';

const dir = mkdtempSync(join(tmpdir(), 'rdev-bootstrap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEY = /rdev_[0-9A-Za-z]{36}/;

async function viewerScopes(url: string, key: string): Promise<unknown> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: '{ viewer { scopes } }' }),
  });
  return (await res.json()).data?.viewer?.scopes;
}

describe('the first admin key', () => {
  it('is not printed when stdout is not a terminal (a pod log); the message says how to get one', {
    timeout: 120_000,
  }, async () => {
    const proc = await startRdev({ DATABASE_URL: 'memory://', RDEV_WORKSPACES_DIR: dir });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(proc.stdout()).not.toMatch(KEY);
      expect(proc.stderr()).not.toMatch(KEY);
      expect(proc.stdout()).toContain('A first admin API key was created, but it is not printed');
      expect(proc.stdout()).toContain('rdev keys create --admin');
      expect(proc.stdout()).toContain('RDEV_BOOTSTRAP_KEY_FILE');
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  });

  it('is written to RDEV_BOOTSTRAP_KEY_FILE with mode 0600, and works', { timeout: 120_000 }, async () => {
    const file = join(dir, 'admin-key');
    const proc = await startRdev({
      DATABASE_URL: 'memory://',
      RDEV_WORKSPACES_DIR: dir,
      RDEV_BOOTSTRAP_KEY_FILE: file,
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const key = readFileSync(file, 'utf8').trim();
      expect(key).toMatch(KEY);
      expect(proc.stdout()).not.toContain(key);
      expect(proc.stdout()).toContain(`First admin API key written to ${file}`);
      expect(await viewerScopes(proc.url, key)).toEqual(['ADMIN']);
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  });

  it('is made only once the server listens: a start on a taken port makes none, the next one hands it over', {
    timeout: 150_000,
  }, async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const file = join(dir, 'first-key-after-failed-start');
    const env = { RDEV_DATA_DIR: join(dir, 'data'), RDEV_WORKSPACES_DIR: dir, RDEV_BOOTSTRAP_KEY_FILE: file };
    try {
      const failed = runRdev(['serve'], { ...env, HOST: '127.0.0.1', PORT: String(port) });
      expect((await failed.exited).code).not.toBe(0);
      expect(failed.stderr()).toContain(
        `rdev: cannot listen on 127.0.0.1:${port}: another program already does (EADDRINUSE); stop it or set PORT`,
      );
      expect(existsSync(file)).toBe(false);
    } finally {
      taken.close();
    }
    // The database was created and migrated, but holds no key: this start makes and hands it over.
    const proc = await startRdev(env);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const key = readFileSync(file, 'utf8').trim();
      expect(key).toMatch(KEY);
      expect(await viewerScopes(proc.url, key)).toEqual(['ADMIN']);
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  });

  it('is printed on a terminal, as the quick start shows', { timeout: 120_000 }, async () => {
    // `script` gives rdev a pseudo-terminal as stdout, as a person running `npm start` has.
    const child = spawn('script', ['-qfec', `exec '${process.execPath}' bin/rdev.js serve`, '/dev/null'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        PORT: '0',
        DATABASE_URL: 'memory://',
        RDEV_WORKSPACES_DIR: dir,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let seen = '';
    child.stdout.on('data', (d) => {
      seen = (seen + d).replace(/\r\n/g, '\n');
    });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const deadline = Date.now() + 90_000;
      while (!/First admin API key[^\n]*\n(rdev_\w+)\n/.test(seen) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const key = /First admin API key[^\n]*\n(rdev_\w+)\n/.exec(seen)?.[1];
      expect(key, seen).toMatch(KEY);
      const url = /listening on (http:\/\/\S+)/.exec(seen)![1]!;
      expect(await viewerScopes(url, key!)).toEqual(['ADMIN']);
    } finally {
      // Ctrl-C on the terminal: rdev shuts down, and script ends with it.
      child.stdin.write('\x03');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
