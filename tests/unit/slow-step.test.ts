import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeOpening } from '../../src/adapters/postgres/database.js';
import { announceIfSlow } from '../../src/observability/slow-step.js';
import { sleep } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'rdev-slow-step-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('start-up progress', () => {
  it('announces a step still running after the threshold, once, and returns its result', async () => {
    const lines: string[] = [];
    const result = await announceIfSlow(
      (l) => lines.push(l),
      'opening…',
      () => sleep(150).then(() => 7),
      30,
    );
    expect(result).toBe(7);
    expect(lines).toEqual(['opening…']);
  });

  it('says nothing about a step that ends in time, or that fails in time', async () => {
    const lines: string[] = [];
    await announceIfSlow(
      (l) => lines.push(l),
      'quick…',
      () => sleep(5),
      200,
    );
    await expect(
      announceIfSlow(
        (l) => lines.push(l),
        'failing…',
        () => Promise.reject(new Error('no')),
        200,
      ),
    ).rejects.toThrow('no');
    await sleep(250);
    expect(lines).toEqual([]);
  });

  it('tells a first start, which creates the embedded database, from a reopening', () => {
    const data = join(dir, 'data');
    expect(describeOpening({ kind: 'pglite', dataDir: data })).toBe(
      `creating the embedded database at ${data} (first start only; this takes a while)`,
    );
    rmSync(data, { recursive: true, force: true });
    mkdirSync(data);
    writeFileSync(join(data, 'PG_VERSION'), '17\n');
    expect(describeOpening({ kind: 'pglite', dataDir: data })).toBe(
      `opening the embedded database at ${data}`,
    );
    expect(describeOpening({ kind: 'postgres', url: 'postgres://rdev:s3cret@db:5432/rdev' })).not.toContain(
      's3cret',
    );
  });
});
