import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRdev } from '../support/rdev-process.js';

const dir = mkdtempSync(join(tmpdir(), 'rdev-cli-help-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { RDEV_DATA_DIR: join(dir, 'data'), RDEV_WORKSPACES_DIR: join(dir, 'ws') };

async function rdev(...args: string[]) {
  const proc = runRdev(args, env);
  const { code } = await proc.exited;
  // The launcher may say it compiled the bundle first; that is not the command's output.
  const stderr = proc
    .stderr()
    .split('\n')
    .filter((l) => !/^rdev: (compiling|compiled)/.test(l))
    .join('\n')
    .trim();
  return { code, stdout: proc.stdout(), stderr };
}

describe('rdev help', () => {
  it('--help and help exit 0 and list the commands', { timeout: 60_000 }, async () => {
    for (const args of [['--help'], ['help'], ['-h']]) {
      const { code, stdout } = await rdev(...args);
      expect(code, args.join(' ')).toBe(0);
      for (const command of ['serve', 'migrate', 'keys'])
        expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });

  it('every keys subcommand answers --help with its options and exits 0', { timeout: 60_000 }, async () => {
    const keys = await rdev('keys', '--help');
    expect(keys.code).toBe(0);
    for (const sub of ['create', 'list', 'revoke', 'generate']) expect(keys.stdout).toContain(`  ${sub}`);
    const create = await rdev('keys', 'create', '--help');
    expect(create.code, create.stderr).toBe(0);
    for (const option of ['--name', '--scope', '--project', '--allow-ip', '--expires'])
      expect(create.stdout).toContain(option);
    const list = await rdev('help', 'keys');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('revoke');
    const revoke = await rdev('keys', 'revoke', '--help');
    expect(revoke.code).toBe(0);
    expect(revoke.stdout).toContain('<id-or-prefix>');
  });

  it('an unknown option or command exits non-zero with one line naming it', { timeout: 60_000 }, async () => {
    for (const [args, named] of [
      [['--bogus'], '--bogus'],
      [['keys', 'create', '--name', 'x', '--scope', 'admin', '--bogus'], '--bogus'],
      [['keys', 'list', '--bogus'], '--bogus'],
      [['nope'], 'nope'],
      [['keys', 'nope'], 'nope'],
    ] as const) {
      const { code, stdout, stderr } = await rdev(...args);
      expect(code, args.join(' ')).not.toBe(0);
      expect(stdout).toBe('');
      expect(stderr.split('\n'), args.join(' ')).toHaveLength(1);
      expect(stderr).toContain(named);
    }
  });
});

describe('rdev keys', () => {
  it('list prints a header row and --json; revoke takes a unique key prefix and refuses an ambiguous or unknown one', {
    timeout: 120_000,
  }, async () => {
    const keys: string[] = [];
    for (const name of ['first', 'second']) {
      const created = await rdev('keys', 'create', '--name', name, '--scope', 'projects:read');
      expect(created.code, created.stderr).toBe(0);
      keys.push(created.stdout.trim());
    }

    const list = await rdev('keys', 'list');
    expect(list.code).toBe(0);
    const [header, ...rows] = list.stdout.trim().split('\n');
    expect(header!.split('\t')).toEqual(['ID', 'PREFIX', 'NAME', 'SCOPES', 'PROJECTS', 'STATUS']);
    expect(rows).toHaveLength(2);
    const json = await rdev('keys', 'list', '--json');
    const listed = JSON.parse(json.stdout) as { id: string; prefix: string; name: string; status: string }[];
    expect(listed.map((k) => k.name).sort()).toEqual(['first', 'second']);

    const ambiguous = await rdev('keys', 'revoke', 'rdev_');
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain('matches 2 keys');
    const unknown = await rdev('keys', 'revoke', 'rdev_0000000000');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no active key has the id or prefix "rdev_0000000000"');

    // The prefix exactly as `keys list` shows it, ellipsis included.
    const first = listed.find((k) => k.name === 'first')!;
    const revoked = await rdev('keys', 'revoke', first.prefix);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout.trim()).toBe(`revoked ${first.id}`);
    // A longer start of the key text (here the whole key) names it too.
    const second = listed.find((k) => k.name === 'second')!;
    const byText = await rdev('keys', 'revoke', keys[1]!.slice(0, 14));
    expect(byText.stdout.trim(), byText.stderr).toBe(`revoked ${second.id}`);

    const after = JSON.parse((await rdev('keys', 'list', '--all', '--json')).stdout) as { status: string }[];
    expect(after.map((k) => k.status)).toEqual(['revoked', 'revoked']);
  });

  it('create refuses a project name that cannot exist before opening the database', {
    timeout: 60_000,
  }, async () => {
    const bad = await rdev('keys', 'create', '--name', 'x', '--scope', 'admin', '--project', 'Not_A_Project');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      'rdev keys create: --project "Not_A_Project": a project name uses lower-case letters, digits and "-", and starts and ends with a letter or digit',
    );
  });

  it('create refuses a project the local runtime does not serve, naming those it does', {
    timeout: 60_000,
  }, async () => {
    mkdirSync(join(env.RDEV_WORKSPACES_DIR, 'alpha'), { recursive: true });
    const nope = await rdev('keys', 'create', '--name', 'x', '--scope', 'admin', '--project', 'nope');
    expect(nope.code).toBe(1);
    expect(nope.stderr).toBe('rdev keys create: no project named "nope" (projects: alpha)');
    const alpha = await rdev('keys', 'create', '--name', 'x', '--scope', 'admin', '--project', 'alpha');
    expect(alpha.code, alpha.stderr).toBe(0);
  });
});
