import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMMAND_FIELDS,
  COMMAND_RUNTIMES,
  type CommandTestApp,
  collectOutput,
  plainId,
  startCommandApp,
} from '../support/command-test-app.js';
import { liveGroupMembers } from '../support/processes.js';
import { until, waitFor } from '../support/wait.js';

const RUN_SHELL = `mutation($input: RunShellInput!) { runShell(input: $input) { __typename
  ... on RunCommandPayload { command { ${COMMAND_FIELDS} } } ... on Error { code message } } }`;
const RUN_GIT = `mutation($input: RunGitInput!) { runGit(input: $input) { __typename
  ... on RunCommandPayload { command { ${COMMAND_FIELDS} } } ... on Error { code message } } }`;
const RUN_CLAUDE = `mutation($input: RunClaudeInput!) { runClaude(input: $input) { __typename
  ... on RunCommandPayload { command { ${COMMAND_FIELDS} } } ... on Error { code message } } }`;
const CANCEL = `mutation($id: ID!) { cancelCommand(input: { id: $id }) { __typename
  ... on CancelCommandPayload { command { id status } } ... on Error { code message } } }`;
const AUDIT = `query($action: String!, $target: String!) { auditEvents(first: 10, filter: { action: $action, targetId: $target }) {
  edges { node { action actorKeyId clientIp outcome details } } } }`;

const INJECTIONS = [
  '; id',
  '$(id)',
  '`id`',
  'a\nb; id',
  '--upload-pack=touch pwned',
  '-c',
  'core.sshCommand=id',
  '-h',
];

describe.each(COMMAND_RUNTIMES)('command lifecycle on the %s runtime', (runtime) => {
  let t: CommandTestApp;

  const stdoutOf = async (id: string) =>
    (await collectOutput(t.wsClient(), id))
      .filter((e) => e.stream === 'STDOUT')
      .map((e) => e.data)
      .join('');

  beforeAll(async () => {
    t = await startCommandApp(
      runtime,
      // A short relist as a second path to the pod's deletion in the LOST test, which comes right
      // after the API faults of the test before it; on a loaded machine it once waited past 90 s
      // (the watch itself stays live through such faults: kubernetes-project-source.test.ts).
      { RDEV_CANCEL_GRACE_SECONDS: '1', RDEV_KUBE_BREAKER_OPEN_MS: '500', RDEV_PROJECT_RESYNC_MS: '3000' },
      { extraProjects: { locked: 'allowed_commands: [GIT]', other: '' } },
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('cancels a command that spawned children: no process of its group is left, status CANCELLED', async () => {
    const command = await t.runShell({ script: 'sleep 100 & sleep 100 & wait' });
    const pidFile = join(t.workspace, '.rdev', 'runs', plainId(command.id), 'pid');
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 'pid file');
    const pgid = Number(readFileSync(pidFile, 'utf8').trim());
    await waitFor(() => liveGroupMembers(pgid).length >= 3, 'the shell and both sleeps');

    const { cancelCommand } = await t.gql(CANCEL, { id: command.id });
    expect(cancelCommand.__typename).toBe('CancelCommandPayload');
    const ended = await t.waitForEnd(command.id);
    expect(ended).toMatchObject({ status: 'CANCELLED', error: 'cancelled' });
    expect(liveGroupMembers(pgid)).toEqual([]);
    const events = await collectOutput(t.wsClient(), command.id);
    expect(events.at(-1)!.end).toMatchObject({ status: 'CANCELLED' });

    const audit = await t.gql(AUDIT, { action: 'command.cancel', target: plainId(command.id) });
    expect(audit.auditEvents.edges).toHaveLength(1);
    expect(audit.auditEvents.edges[0].node).toMatchObject({
      outcome: 'SUCCESS',
      clientIp: '127.0.0.1',
      actorKeyId: expect.any(String),
    });
    // Cancelling again answers with the command as it is.
    expect((await t.gql(CANCEL, { id: command.id })).cancelCommand.command.status).toBe('CANCELLED');
  });

  it('reports a non-zero exit with its code, a signal, and a timeout', async () => {
    const [failed, killed, slow] = await Promise.all([
      t.runShell({ script: 'echo out; echo err >&2; exit 3' }),
      t.runShell({ script: 'kill -KILL $$' }),
      t.runShell({ argv: ['sleep', '30'], timeoutSeconds: 1 }),
    ]);
    expect(await t.waitForEnd(failed.id)).toMatchObject({
      status: 'FAILED',
      exitCode: 3,
      signal: null,
      error: 'exit code 3',
    });
    const events = await collectOutput(t.wsClient(), failed.id);
    expect(events.map((e) => [e.stream, e.data])).toEqual([
      ['STDOUT', 'out\n'],
      ['STDERR', 'err\n'],
      ['SYSTEM', 'command failed (exit code 3)\n'],
    ]);
    expect(events.at(-1)!.end).toEqual({ status: 'FAILED', exitCode: 3, signal: null });
    expect(await t.waitForEnd(killed.id)).toMatchObject({
      status: 'FAILED',
      exitCode: null,
      signal: 'SIGKILL',
      error: 'ended by SIGKILL',
    });
    expect(await t.waitForEnd(slow.id)).toMatchObject({
      status: 'TIMED_OUT',
      signal: 'SIGTERM',
      error: 'timed out after 1 s',
    });
  });

  it('passes argv elements literally, never through a shell, and refuses NUL', async () => {
    const command = await t.runShell({ argv: ['printf', '[%s]\\n', ...INJECTIONS] });
    expect(await t.waitForEnd(command.id)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await stdoutOf(command.id)).toBe(INJECTIONS.map((a) => `[${a}]\n`).join(''));

    const nul = await t.gql(RUN_SHELL, { input: { projectName: 'demo', argv: ['printf', 'a\u0000b'] } });
    expect(nul.runShell).toMatchObject({ __typename: 'ValidationFailedError', code: 'VALIDATION_FAILED' });
  });

  it('refuses a timeoutSeconds below 1 s or above the configured maximum, for every command type', async () => {
    const mutations = [
      [RUN_SHELL, 'runShell', { argv: ['true'] }],
      [RUN_GIT, 'runGit', { args: ['status'] }],
      [RUN_CLAUDE, 'runClaude', { prompt: 'hi' }],
    ] as const;
    for (const [mutation, field, fields] of mutations) {
      for (const timeoutSeconds of [0, -1, 86_401, 10 ** 9]) {
        const input = { projectName: 'demo', timeoutSeconds, ...fields };
        const reply = (await t.gql(mutation, { input }))[field];
        expect(reply, `${field} ${timeoutSeconds}`).toMatchObject({
          __typename: 'ValidationFailedError',
          code: 'VALIDATION_FAILED',
          message: expect.stringContaining('timeoutSeconds: must be'),
        });
      }
    }
    // The bounds themselves are accepted (a 1 s run of `true` may still time out on a busy host).
    for (const timeoutSeconds of [1, 86_400]) {
      const command = await t.runShell({ argv: ['true'], timeoutSeconds });
      await t.waitForEnd(command.id);
      const stored = await t.gql('query($id: ID!) { command(id: $id) { timeoutSeconds } }', {
        id: command.id,
      });
      expect(stored.command.timeoutSeconds).toBe(timeoutSeconds);
    }
  });

  it('refuses git options that run programs, and takes a ref named -h as a ref', async () => {
    const setup = await t.runShell({
      script:
        'git init -q && git -c user.email=t@example.com -c user.name=t commit -q --allow-empty -m "the commit named by -h" && git update-ref refs/tags/-h HEAD',
    });
    expect(await t.waitForEnd(setup.id)).toMatchObject({ status: 'SUCCEEDED' });

    for (const [args, rule] of [
      [['log', '--upload-pack=touch pwned'], 'git-refused-option'],
      [['-c', 'core.sshCommand=touch pwned', 'fetch', 'origin'], 'git-refused-option'],
      [['fetch', '--upload-pack=touch pwned', 'origin'], 'git-refused-option'],
      [['-C', '/', 'log'], 'git-refused-option'],
      [['log', '-h'], 'git-unknown-option'],
    ] as const) {
      const { runGit } = await t.gql(RUN_GIT, { input: { projectName: 'demo', args } });
      expect(runGit, JSON.stringify(args)).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(runGit.message).toContain(`[${rule}]`);
    }
    // NUL is refused for every input before the git rules see it.
    const { runGit: nul } = await t.gql(RUN_GIT, {
      input: { projectName: 'demo', args: ['log', 'a\u0000b'] },
    });
    expect(nul).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/args\.1: must not contain NUL/),
    });
    expect(existsSync(join(t.workspace, 'pwned'))).toBe(false);

    // Values follow --end-of-options: "-h" names the tag, and shell syntax is just a bad revision.
    const byTag = (
      await t.gql(RUN_GIT, {
        input: { projectName: 'demo', args: ['log', '--format=%s', '--end-of-options', '-h'] },
      })
    ).runGit.command;
    expect(await t.waitForEnd(byTag.id)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await stdoutOf(byTag.id)).toBe('the commit named by -h\n');

    const viaGit = (
      await t.gql(RUN_GIT, { input: { projectName: 'demo', args: ['log', '--oneline', '$(id)'] } })
    ).runGit.command;
    expect(viaGit.argv).toEqual(['git', 'log', '--oneline', '--end-of-options', '$(id)']);
    expect(await t.waitForEnd(viaGit.id)).toMatchObject({ status: 'FAILED', exitCode: 128 });
    const output = (await collectOutput(t.wsClient(), viaGit.id)).map((e) => e.data).join('');
    expect(output).toContain("'$(id)'");
    expect(output).not.toMatch(/uid=\d+/);
  });

  it('sends the prompt on stdin only: shell syntax and newlines reach claude as text', async () => {
    const prompt = '[fake:argv] ; id $(id) `id`\nsecond line -h --upload-pack=x';
    const { runClaude } = await t.gql(RUN_CLAUDE, { input: { projectName: 'demo', prompt } });
    expect(runClaude.__typename).toBe('RunCommandPayload');
    expect(await t.waitForEnd(runClaude.command.id)).toMatchObject({ status: 'SUCCEEDED' });
    const { command } = await t.gql(
      `query($id: ID!) { command(id: $id) { output(first: 100) { claude } } }`,
      { id: runClaude.command.id },
    );
    const result = command.output
      .map((e: { claude: any }) => e.claude)
      .find((c: any) => c?.type === 'result');
    const seen = JSON.parse(result.result);
    expect(seen.prompt).toBe(prompt);
    expect(seen.argv).toEqual(['-p', '--output-format=stream-json', '--verbose']);

    const nul = await t.gql(RUN_CLAUDE, { input: { projectName: 'demo', prompt: 'a\u0000b' } });
    expect(nul.runClaude).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('answers a retry with the same idempotency key with the same command, and a different input with CONFLICT', async () => {
    const input = { projectName: 'demo', argv: ['true'], idempotencyKey: `retry-${runtime}` };
    const first = (await t.gql(RUN_SHELL, { input })).runShell;
    const again = (await t.gql(RUN_SHELL, { input })).runShell;
    expect(again.command.id).toBe(first.command.id);
    const other = (await t.gql(RUN_SHELL, { input: { ...input, argv: ['false'] } })).runShell;
    expect(other).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
    // Keys are per API key: another key's same idempotency key is its own command.
    const { key } = await t.createKey({ scopes: ['COMMANDS_RUN_SHELL', 'COMMANDS_READ'] });
    const theirs = (await t.gql(RUN_SHELL, { input }, key)).runShell;
    expect(theirs.command.id).not.toBe(first.command.id);
  });

  it('refuses by project policy naming the rule, by scope, and by project grant', async () => {
    const locked = (await t.gql(RUN_SHELL, { input: { projectName: 'locked', argv: ['true'] } })).runShell;
    expect(locked).toMatchObject({ __typename: 'CommandNotAllowedError', code: 'COMMAND_NOT_ALLOWED' });
    expect(locked.message).toContain('allowed_commands');

    const reader = await t.createKey({ scopes: ['COMMANDS_READ'] });
    const noScope = (await t.gql(RUN_SHELL, { input: { projectName: 'demo', argv: ['true'] } }, reader.key))
      .runShell;
    expect(noScope).toMatchObject({ code: 'FORBIDDEN' });
    expect(noScope.message).toContain('commands:run:shell');

    const mine = await t.runShell({ argv: ['sleep', '5'] });
    expect((await t.gql(CANCEL, { id: mine.id }, reader.key)).cancelCommand).toMatchObject({
      code: 'FORBIDDEN',
    });

    const elsewhere = await t.createKey({
      scopes: ['COMMANDS_RUN_SHELL', 'COMMANDS_READ', 'COMMANDS_CANCEL'],
      projectNames: ['other'],
    });
    const hidden = (await t.gql(RUN_SHELL, { input: { projectName: 'demo', argv: ['true'] } }, elsewhere.key))
      .runShell;
    expect(hidden).toMatchObject({ code: 'NOT_FOUND' });
    expect(
      (await t.gql(`query($id: ID!) { command(id: $id) { id } }`, { id: mine.id }, elsewhere.key)).command,
    ).toBeNull();
    await expect(collectOutput(t.wsClient(elsewhere.key), mine.id)).rejects.toThrow(/NOT_FOUND/);
    const cancel = (await t.gql(CANCEL, { id: mine.id }, elsewhere.key)).cancelCommand;
    expect(cancel).toMatchObject({ code: 'NOT_FOUND' });
    await t.gql(CANCEL, { id: mine.id });
  });

  it('audits each run with secrets in argv redacted', async () => {
    const command = await t.runShell({
      argv: ['printf', '%s', '--password=hunter2', '--token', 'abc123', `rdev_${'x'.repeat(30)}`],
    });
    await t.waitForEnd(command.id);
    const audit = await t.gql(AUDIT, { action: 'command.run', target: plainId(command.id) });
    expect(audit.auditEvents.edges).toHaveLength(1);
    const row = audit.auditEvents.edges[0].node;
    expect(row.details.argv).toEqual([
      'printf',
      '%s',
      '--password=[REDACTED]',
      '--token',
      '[REDACTED]',
      '[REDACTED]',
    ]);
    expect(JSON.stringify(row)).not.toMatch(/hunter2|abc123|xxxxxxxx/);
    expect(row).toMatchObject({ outcome: 'SUCCESS', clientIp: '127.0.0.1', actorKeyId: expect.any(String) });
    const finished = await t.gql(AUDIT, { action: 'command.finish', target: plainId(command.id) });
    expect(finished.auditEvents.edges[0].node.details).toMatchObject({ status: 'SUCCEEDED', exitCode: 0 });
  });

  // Only the Kubernetes runtime has an API between rdev and the workspace to fail.
  if (runtime === 'kubernetes') {
    it('stops a command at its timeout even when the Kubernetes API fails as the timeout comes', async () => {
      const command = await t.runShell({ argv: ['sleep', '30'], timeoutSeconds: 3 });
      const pidFile = join(t.workspace, '.rdev', 'runs', plainId(command.id), 'pid');
      await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 'pid file');
      const pgid = Number(readFileSync(pidFile, 'utf8').trim());
      await new Promise((r) => setTimeout(r, 2_000));
      t.fake!.faults.http500 = true;
      t.fake!.faults.dropExecSockets();
      await new Promise((r) => setTimeout(r, 3_000));
      t.fake!.faults.http500 = false;
      const ended = await t.waitForEnd(command.id, 30_000);
      expect(ended).toMatchObject({ status: 'TIMED_OUT', error: 'timed out after 3 s' });
      // Stopped once the API answered again, not when sleep would have ended by itself.
      expect(Date.parse(ended.finishedAt) - Date.parse(ended.startedAt)).toBeLessThan(20_000);
      expect(liveGroupMembers(pgid)).toEqual([]);
    });
  }

  // Last: it takes the workspace away.
  it('marks a running command LOST with a reason when its pod or its run folder goes away', async () => {
    const command = await t.runShell({ argv: ['sh', '-c', 'echo started; sleep 30'] });
    const pidFile = join(t.workspace, '.rdev', 'runs', plainId(command.id), 'pid');
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 'pid file');
    const pgid = Number(readFileSync(pidFile, 'utf8').trim());
    // Stored output means rdev knows the start succeeded and follows the run. A pod deleted while
    // the start is still being confirmed is a failed start instead, and the command is queued
    // again for when its workspace comes back.
    await until(
      async () => {
        const { command: now } = await t.gql(
          'query($id: ID!) { command(id: $id) { output(first: 1) { data } } }',
          {
            id: command.id,
          },
        );
        return now.output.some((e: { data: string }) => e.data === 'started\n');
      },
      30_000,
      "the command's first output",
    );
    try {
      if (runtime === 'kubernetes') t.fake!.deletePod('ws-0');
      else rmSync(join(t.workspace, '.rdev', 'runs', plainId(command.id)), { recursive: true, force: true });
      // Generous: on a loaded machine noticing the loss takes a few follow retries.
      const ended = await t.waitForEnd(command.id, 90_000);
      expect(ended.status).toBe('LOST');
      expect(ended.error).toMatch(
        runtime === 'kubernetes' ? /^lost: the workspace it ran in is gone/ : /^lost: no-run-dir/,
      );
      const events = await collectOutput(t.wsClient(), command.id);
      expect(events.at(-1)!.end).toMatchObject({ status: 'LOST' });
    } finally {
      // Already gone when the pod took its processes with it; that must not hide a failure above.
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {}
    }
  });
});
