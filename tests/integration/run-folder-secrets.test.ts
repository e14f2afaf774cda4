import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPERVISE_SCRIPT, superviseScriptPath } from '../../src/adapters/supervisor/supervise-script.js';
import { COMMAND_RUNTIMES, type CommandTestApp, startCommandApp } from '../support/command-test-app.js';

describe.each(COMMAND_RUNTIMES)('run folders on the %s runtime', (runtime) => {
  let t: CommandTestApp;
  beforeAll(async () => {
    t = await startCommandApp(runtime);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('keep neither the environment values nor the stdin once the command has them', async () => {
    // A later command in the workspace looks for what earlier ones left behind.
    const first = await t.runShell({
      script: 'cat >/dev/null; echo "$TOKEN" | wc -c',
      env: { TOKEN: 's3cret' },
    });
    await t.waitForEnd(first.id);
    const probe = await t.runShell({
      script: 'cat .rdev/runs/*/env .rdev/runs/*/stdin 2>/dev/null; echo "[end]"',
    });
    const ended = await t.waitForEnd(probe.id);
    expect(ended.status).toBe('SUCCEEDED');
    const runs = join(t.workspace, '.rdev', 'runs');
    for (const name of readdirSync(runs)) {
      expect(existsSync(join(runs, name, 'env')), `${name}/env`).toBe(false);
      expect(existsSync(join(runs, name, 'stdin')), `${name}/stdin`).toBe(false);
      expect(statSync(join(runs, name)).mode & 0o777, name).toBe(0o700);
    }
  });

  it('rewrite a tampered supervisor script before the next command, with a warning and an audit row', async () => {
    const script = superviseScriptPath(t.workspace);
    const leak = join(t.workspace, 'captured-env');
    writeFileSync(
      script,
      SUPERVISE_SCRIPT.replace(
        '  shift\n  put "$d/pid" "$$" || exit 125\n',
        `  shift\n  cat "$d/env" >>'${leak}' 2>/dev/null\n  put "$d/pid" "$$" || exit 125\n`,
      ),
    );
    const next = await t.runShell({ script: 'true', env: { TOKEN: 's3cret' } });
    expect((await t.waitForEnd(next.id)).status).toBe('SUCCEEDED');
    expect(existsSync(leak)).toBe(false);
    expect(readFileSync(script, 'utf8')).toBe(SUPERVISE_SCRIPT);
    const { auditEvents } = await t.gql(
      `{ auditEvents(first: 5, filter: { action: "runtime.supervisor_tampered" }) {
          edges { node { actorComponent outcome targetId details } } } }`,
    );
    expect(auditEvents.edges).toHaveLength(1);
    expect(auditEvents.edges[0].node).toMatchObject({
      actorComponent: 'runtime',
      outcome: 'FAILURE',
      targetId: 'demo',
      details: { projectName: 'demo', path: script },
    });
    const warnings = t.logs
      .map((l) => JSON.parse(l))
      .filter((l) => l.level === 40 && /supervisor script/.test(l.msg));
    expect(warnings).toHaveLength(1);
  });
});
