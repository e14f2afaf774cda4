import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRdev, startRdev } from '../support/rdev-process.js';

const dir = mkdtempSync(join(tmpdir(), 'rdev-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { RDEV_DATA_DIR: join(dir, 'data'), RDEV_WORKSPACES_DIR: join(dir, 'ws') };

/** Runs `rdev serve` that is expected to refuse to start; resolves with its exit code and stderr. */
async function refusedStart(extra: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const proc = runRdev(['serve'], { ...env, PORT: '0', ...extra });
  const { code } = await proc.exited;
  return { code, stderr: proc.stderr() };
}

describe('what rdev serve says about its settings', () => {
  it('starts with an unknown RDEV_ variable, naming it once with the closest setting', {
    timeout: 120_000,
  }, async () => {
    const proc = await startRdev({
      ...env,
      DATABASE_URL: 'memory://',
      RDEV_PORT: '5000',
      RDEV_WEBHOOK_WORKER: 'No',
    });
    try {
      const lines = proc
        .stdout()
        .split('\n')
        .filter((l) => l.includes('RDEV_PORT'));
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({
        level: 40,
        msg: 'RDEV_PORT is not a setting rdev reads (did you mean PORT?); it is ignored',
      });
      // PORT=0 still applies: the unknown name changed nothing.
      expect(new URL(proc.url).port).not.toBe('5000');
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  });

  it('refuses a boolean it does not know, listing the ones it does', { timeout: 120_000 }, async () => {
    const { code, stderr } = await refusedStart({ RDEV_WEBHOOK_WORKER: 'on' });
    expect(code).toBe(1);
    expect(stderr).toContain(
      'RDEV_WEBHOOK_WORKER="on": must be one of true, false, 1, 0, yes, no (in any case)',
    );
  });

  it('names DATABASE_URL and what is wrong when the database cannot be reached', {
    timeout: 60_000,
  }, async () => {
    const { code, stderr } = await refusedStart({ DATABASE_URL: 'postgres://rdev:s3cret@127.0.0.1:1/rdev' });
    expect(code).toBe(1);
    expect(stderr).toContain(
      'rdev: cannot connect to the database in DATABASE_URL (postgres://rdev:***@127.0.0.1:1/rdev): nothing accepts connections at 127.0.0.1:1',
    );
    expect(stderr).toContain('or unset DATABASE_URL to use the embedded database');
    expect(stderr).not.toContain('s3cret');
  });

  it('says what to set when RDEV_RUNTIME=kubernetes finds no cluster', { timeout: 120_000 }, async () => {
    const home = join(dir, 'home');
    mkdirSync(home, { recursive: true });
    const { code, stderr } = await refusedStart({
      DATABASE_URL: 'memory://',
      RDEV_RUNTIME: 'kubernetes',
      HOME: home,
    });
    expect(code).toBe(1);
    expect(stderr).toContain(
      `rdev: RDEV_RUNTIME is kubernetes, but no cluster is configured: KUBECONFIG is unset, ${home}/.kube/config does not exist`,
    );
    expect(stderr).toContain('Set KUBECONFIG to a kubeconfig file, or RDEV_RUNTIME=local');
    expect(stderr).not.toContain('skipTLSVerify');
  });

  it('refuses RDEV_LOCAL_SANDBOX=bwrap without bubblewrap, saying what to install or set', {
    timeout: 120_000,
  }, async () => {
    const empty = join(dir, 'no-bwrap');
    mkdirSync(empty, { recursive: true });
    const { code, stderr } = await refusedStart({
      DATABASE_URL: 'memory://',
      RDEV_LOCAL_SANDBOX: 'bwrap',
      PATH: empty,
    });
    expect(code).toBe(1);
    expect(stderr).toContain(
      'RDEV_LOCAL_SANDBOX is bwrap, but bubblewrap (bwrap) is not installed or not on PATH',
    );
    expect(stderr).toContain('apt-get install bubblewrap');
    expect(stderr).toContain('RDEV_LOCAL_SANDBOX=none');
  });

  it('says why a kubeconfig with a plain-HTTP cluster cannot work', { timeout: 120_000 }, async () => {
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{ name: dev, cluster: { server: "http://127.0.0.1:1" } }]
users: [{ name: me, user: { token: t } }]
contexts: [{ name: dev, context: { cluster: dev, user: me } }]
current-context: dev
`,
    );
    const { code, stderr } = await refusedStart({
      DATABASE_URL: 'memory://',
      RDEV_RUNTIME: 'kubernetes',
      KUBECONFIG: kubeconfig,
    });
    expect(code).toBe(1);
    expect(stderr).toContain(
      `the cluster "dev" in the kubeconfig ${kubeconfig} is served over plain HTTP (http://127.0.0.1:1)`,
    );
    expect(stderr).toContain('insecure-skip-tls-verify: true');
  });
});
