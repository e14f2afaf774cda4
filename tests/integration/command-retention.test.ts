import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CommandTestApp, plainId, startCommandApp } from '../support/command-test-app.js';

describe('output retention', () => {
  let t: CommandTestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('deletes ended commands, their output and run folders after the retention period, keeping audit rows', async () => {
    t = await startCommandApp('local', { RDEV_OUTPUT_RETENTION_SECONDS: '2' });
    const app = t;
    // Long enough to outlive any pruning pass below; the app's close cancels it.
    const kept = await app.runShell({ argv: ['sh', '-c', 'sleep 300'] });
    const old = await app.runShell({ argv: ['echo', 'soon gone'] });
    const ended = await app.waitForEnd(old.id);
    expect(ended.status).toBe('SUCCEEDED');
    const runDir = join(app.workspace, '.rdev', 'runs', plainId(old.id));
    expect(existsSync(runDir)).toBe(true);
    const deadline = Date.now() + 30_000;
    let gone = false;
    while (!gone && Date.now() < deadline) {
      const { body } = await app.graphql(
        'query($id: ID!) { command(id: $id) { id } }',
        { id: old.id },
        app.auth(),
      );
      gone = body.data.command === null;
      if (!gone) await new Promise((r) => setTimeout(r, 250));
    }
    expect(gone).toBe(true);
    // The rows go first, then the run folders of the commands they held.
    while (existsSync(runDir) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(runDir)).toBe(false);
    // A command still running is never pruned, however old.
    const running = await app.graphql(
      'query($id: ID!) { command(id: $id) { status } }',
      { id: kept.id },
      app.auth(),
    );
    expect(running.body.data.command).toEqual({ status: 'RUNNING' });
    const audit = await app.graphql(
      'query($id: String!) { auditEvents(filter: { targetId: $id }) { edges { node { action } } } }',
      { id: plainId(old.id) },
      app.auth(),
    );
    expect(audit.body.data.auditEvents.edges.map((e: any) => e.node.action)).toContain('command.run');
  });
});
