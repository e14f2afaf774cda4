import { expect, it } from 'vitest';
import { SharedReads } from '../../src/lib/shared-reads.js';

it('shares a read in flight, but not with a caller that learnt of something newer since it started', async () => {
  const reads = new SharedReads<string>();
  let loads = 0;
  const load = async () => `read ${++loads}`;
  const first = reads.read('k', load);
  expect(reads.read('k', load)).toBe(first);
  // Something was learnt now (a notification, a status read): the read in flight may predate it.
  const mark = reads.mark();
  const fresh = reads.read('k', load, mark);
  expect(fresh).not.toBe(first);
  expect(await fresh).toBe('read 2');
  // Callers with the same mark share the fresh read.
  expect(reads.read('k', load, mark)).toBe(fresh);
  expect(loads).toBe(2);
  // After the turn, nothing is shared.
  await new Promise((r) => setImmediate(r));
  expect(await reads.read('k', load)).toBe('read 3');
});
