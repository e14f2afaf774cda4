import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_RUNTIMES, type CommandTestApp, startCommandApp } from '../support/command-test-app.js';
import { FAKE_CLAUDE_DIR } from '../support/runtime-harness.js';

const RUN_CLAUDE = `mutation($input: RunClaudeInput!) { runClaude(input: $input) { __typename
  ... on RunCommandPayload { command { id } } ... on Error { code message } } }`;
const STATUS = '{ runtimeStatus { claude { projectName available version path message checkedAt } } }';
const INSTALL = 'npm install -g @anthropic-ai/claude-code';

/**
 * A PATH without any `claude`, with an empty folder first: linking the fake `claude` into that
 * folder is installing it.
 */
function pathWithoutClaude(bin: string): string {
  const rest = (process.env.PATH ?? '/usr/bin:/bin')
    .split(delimiter)
    .filter((dir) => dir !== '' && !dir.startsWith(FAKE_CLAUDE_DIR.replace(/\/$/, '')))
    .filter((dir) => !existsSync(join(dir, 'claude')));
  return [bin, ...rest].join(delimiter);
}

describe.each(COMMAND_RUNTIMES)('claude missing on the %s runtime', (runtime) => {
  let t: CommandTestApp;
  let bin: string;
  let pathVar: string;

  beforeAll(async () => {
    bin = mkdtempSync(join(tmpdir(), 'rdev-no-claude-'));
    pathVar = pathWithoutClaude(bin);
    t = await startCommandApp(runtime, {}, { pathVar, extraProjects: { other: '' } });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(bin, { recursive: true, force: true });
  });

  it('refuses runClaude as data, says where it looked and how to install, and needs no restart once installed', async () => {
    const where = runtime === 'local' ? "the rdev server's own" : 'of pod rdev-test/ws-0';
    if (runtime === 'local') {
      // Checked at start: runtimeStatus has it without any run.
      const { runtimeStatus } = await t.gql(STATUS);
      expect(runtimeStatus.claude).toEqual([
        expect.objectContaining({ projectName: null, available: false, version: null, path: null }),
      ]);
      expect(runtimeStatus.claude[0].message).toContain(INSTALL);
      expect(runtimeStatus.claude[0].message).toContain(pathVar);
    } else {
      // Kubernetes checks each project's pod on its first use.
      expect((await t.gql(STATUS)).runtimeStatus.claude).toEqual([]);
    }

    const refused = (await t.gql(RUN_CLAUDE, { input: { projectName: 'demo', prompt: 'hello' } })).runClaude;
    expect(refused).toMatchObject({ __typename: 'ClaudeUnavailableError', code: 'CLAUDE_UNAVAILABLE' });
    expect(refused.message).toContain(INSTALL);
    expect(refused.message).toContain(where);
    expect(refused.message).toContain(pathVar);

    const rest = await fetch(`${t.url}/api/v1/projects/demo/claude`, {
      method: 'POST',
      headers: { ...t.auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'hello' }),
    });
    expect(rest.status).toBe(503);
    expect((await rest.json()).error.code).toBe('CLAUDE_UNAVAILABLE');

    // Nothing was queued.
    const listed = await t.gql('{ commands(filter: { types: [CLAUDE] }) { edges { node { id } } } }');
    expect(listed.commands.edges).toEqual([]);

    const checked = (await t.gql(STATUS)).runtimeStatus.claude;
    expect(checked.map((c: any) => [c.projectName, c.available])).toEqual([
      [runtime === 'local' ? null : 'demo', false],
    ]);

    // A broken install is refused too, with what `claude --version` said.
    writeFileSync(join(bin, 'claude'), '#!/bin/sh\necho "Error: Cannot find module cli.js" >&2\nexit 1\n', {
      mode: 0o755,
    });
    const broken = (await t.gql(RUN_CLAUDE, { input: { projectName: 'demo', prompt: 'hello' } })).runClaude;
    expect(broken).toMatchObject({ __typename: 'ClaudeUnavailableError', code: 'CLAUDE_UNAVAILABLE' });
    expect(broken.message).toContain(`The Claude Code CLI at ${join(bin, 'claude')}`);
    expect(broken.message).toContain('exited with 1: Error: Cannot find module cli.js');
    rmSync(join(bin, 'claude'));

    // Installed while rdev runs: the next runClaude looks again, and runs.
    symlinkSync(join(FAKE_CLAUDE_DIR, 'claude'), join(bin, 'claude'));
    const started = (await t.gql(RUN_CLAUDE, { input: { projectName: 'demo', prompt: 'hello' } })).runClaude;
    expect(started.__typename).toBe('RunCommandPayload');
    expect((await t.waitForEnd(started.command.id)).status).toBe('SUCCEEDED');
    const after = (await t.gql(STATUS)).runtimeStatus.claude;
    expect(after).toEqual([
      expect.objectContaining({
        projectName: runtime === 'local' ? null : 'demo',
        available: true,
        version: '2.0.0 (Claude Code)',
        path: join(bin, 'claude'),
        message: null,
      }),
    ]);
  });
});
