import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type CommandTestApp, plainId, startCommandApp } from '../support/command-test-app.js';
import { until } from '../support/wait.js';

/**
 * What happens to a command whose process cannot be started: a workspace that cannot be reached is
 * waited for without using up attempts; one that answers but fails is tried the configured number
 * of times, then the command ends FAILED saying why.
 */
describe('commands that cannot start', () => {
  let t: CommandTestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const attemptsOf = async (app: CommandTestApp, id: string) =>
    (
      await sql<{ n: number }>`SELECT start_attempts AS n FROM commands WHERE id = ${plainId(id)}`.execute(
        app.database.db,
      )
    ).rows[0]!.n;

  it('ends FAILED with "could not start" after the configured attempts when the workspace fails them', async () => {
    t = await startCommandApp('local', { RDEV_MAX_START_ATTEMPTS: '2', RDEV_DISPATCH_INTERVAL_MS: '100' });
    const app = t;
    // A file where the run supervisor's folder belongs: the workspace answers, and installing fails.
    rmSync(`${app.workspace}/.rdev`, { recursive: true, force: true });
    writeFileSync(`${app.workspace}/.rdev`, 'not a folder');
    const command = await app.runShell({ argv: ['echo', 'never'] });
    const ended = await app.waitForEnd(command.id, 30_000);
    expect(ended).toMatchObject({ status: 'FAILED', exitCode: null });
    expect(ended.error).toMatch(/^could not start: .*run supervisor/);
    expect(await attemptsOf(app, command.id)).toBe(2);
  });

  it('waits for a workspace that cannot be reached, using up no attempt, and runs once it is back', async () => {
    t = await startCommandApp('local', {
      RDEV_MAX_START_ATTEMPTS: '1',
      RDEV_DISPATCH_INTERVAL_MS: '100',
      RDEV_LOCAL_RESCAN_MS: '3600000',
    });
    const app = t;
    const away = `${app.workspace}.away`;
    renameSync(app.workspace, away);
    const command = await app.runShell({ argv: ['echo', 'back'] });
    let seen: { status: string; error: string | null } | undefined;
    await until(
      async () => {
        seen = (await app.gql('query($id: ID!) { command(id: $id) { status error } }', { id: command.id }))
          .command;
        return seen?.status === 'QUEUED' && /^start failed, will retry: /.test(seen.error ?? '');
      },
      15_000,
      'the command to be put back in the queue',
      async () => ` (last seen ${JSON.stringify(seen)})`,
    );
    // Put back with its attempt returned: with one attempt allowed, it still runs.
    expect(await attemptsOf(app, command.id)).toBe(0);
    renameSync(away, app.workspace);
    const ended = await app.waitForEnd(command.id, 30_000);
    expect(ended).toMatchObject({ status: 'SUCCEEDED', exitCode: 0, error: null });
    expect(await attemptsOf(app, command.id)).toBe(1);
  });
});
