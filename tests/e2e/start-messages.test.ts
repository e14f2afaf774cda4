import { mkdtempSync, rmSync } from 'node:fs';
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

  it('refuses a boolean it does not know, listing the ones it does', { timeout: 60_000 }, async () => {
    const { code, stderr } = await refusedStart({ RDEV_WEBHOOK_WORKER: 'on' });
    expect(code).toBe(1);
    expect(stderr).toContain(
      'RDEV_WEBHOOK_WORKER="on": must be one of true, false, 1, 0, yes, no (in any case)',
    );
  });
});
