import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMMAND_RUNTIMES,
  type CommandTestApp,
  plainId,
  startCommandApp,
} from '../support/command-test-app.js';
import { waitFor } from '../support/wait.js';

const POSITIONS = `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Command { id status priority queuePosition } } }`;

describe.each(COMMAND_RUNTIMES)('the command queue on the %s runtime', (runtime) => {
  let t: CommandTestApp;

  beforeAll(async () => {
    t = await startCommandApp(
      runtime,
      { RDEV_DISPATCH_INTERVAL_MS: '200' },
      { projectSettings: 'max_concurrent_commands: 2' },
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('runs at most 2 of 8 commands at once, in priority order, and reports queue positions', async () => {
    const go = join(t.workspace, 'go');
    const order = join(t.workspace, 'order');
    // Two blockers fill both slots until the test lets them go.
    // Every command's process also marks itself live in `live/` while it runs, so the limit is
    // checked on processes, not only on the RUNNING column a process might start ahead of.
    mkdirSync(join(t.workspace, 'live'), { recursive: true });
    const blocker = (name: string) =>
      t.runShell({
        script: `touch live/${name}; echo blocker >> order; while [ ! -f go ]; do sleep 0.05; done; rm live/${name}`,
        priority: 0,
      });
    const blockers = [await blocker('b0'), await blocker('b1')];
    await waitFor(
      () => existsSync(order) && readFileSync(order, 'utf8').split('\n').length === 3,
      'both blockers running',
    );

    const running = () =>
      sql<{ n: number }>`SELECT count(*)::int AS n FROM commands WHERE status = 'RUNNING'`
        .execute(t.database.db)
        .then((r) => r.rows[0]!.n);
    let maxRunning = 0;
    let maxLive = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        maxRunning = Math.max(maxRunning, await running());
        maxLive = Math.max(maxLive, readdirSync(join(t.workspace, 'live')).length);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    const priorities = [10, 90, 50, 70, 30, 90];
    const queued: { id: string; status: string }[] = [];
    for (const [i, priority] of priorities.entries()) {
      queued.push(
        await t.runShell({
          script: `touch live/q${i}; echo ${i}:${priority} >> order; sleep 0.2; rm live/q${i}`,
          priority,
        }),
      );
    }
    expect(queued.every((c) => c.status === 'QUEUED')).toBe(true);
    // Higher priority first, then the older one.
    const expectedOrder = [1, 5, 3, 2, 4, 0];
    const { nodes } = await t.gql(POSITIONS, { ids: queued.map((c) => c.id) });
    expect(nodes.map((n: { queuePosition: number }) => n.queuePosition)).toEqual(
      queued.map((_, i) => expectedOrder.indexOf(i) + 1),
    );
    const stats = await t.gql('{ queue { queued running projects { projectName queued running } } }');
    expect(stats.queue).toMatchObject({ queued: 6, running: 2 });

    writeFileSync(go, '');
    for (const c of [...blockers, ...queued]) expect((await t.waitForEnd(c.id)).status).toBe('SUCCEEDED');
    sampling = false;
    await sampler;

    expect(maxRunning).toBe(2);
    expect(maxLive).toBe(2);
    // Priority order: no command was claimed before one that ranks above it (one claim may take
    // two at once, at the same instant).
    const rows = await sql<{ id: string; started: string }>`
      SELECT id, extract(epoch from started_at)::text AS started FROM commands`.execute(t.database.db);
    const startedAt = new Map(rows.rows.map((r) => [r.id, Number(r.started)]));
    const ranked = expectedOrder.map((i) => startedAt.get(plainId(queued[i]!.id))!);
    for (let i = 1; i < ranked.length; i++) expect(ranked[i]).toBeGreaterThanOrEqual(ranked[i - 1]!);
    expect(ranked.at(-1)).toBeGreaterThan(ranked[0]!);
    const ran = readFileSync(order, 'utf8').trim().split('\n').slice(2);
    expect(ran.sort()).toEqual(priorities.map((p, i) => `${i}:${p}`).sort());
    const { nodes: after } = await t.gql(POSITIONS, { ids: queued.map((c) => c.id) });
    expect(after.every((n: { queuePosition: number | null }) => n.queuePosition === null)).toBe(true);
  });
});
