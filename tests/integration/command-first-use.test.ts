import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMMAND_RUNTIMES,
  type CommandTestApp,
  collectOutput,
  plainId,
  startCommandApp,
  streamBytes,
} from '../support/command-test-app.js';
import { liveGroupMembers } from '../support/processes.js';
import { openCommandStream } from '../support/sse-client.js';
import { DATABASE_KINDS } from '../support/test-databases.js';
import { until } from '../support/wait.js';

const RUN_SHELL = `mutation($input: RunShellInput!) { runShell(input: $input) { __typename
  ... on RunCommandPayload { command { id } } ... on Error { code message } } }`;
const RUN_GIT = `mutation($input: RunGitInput!) { runGit(input: $input) { __typename
  ... on RunCommandPayload { command { id } } ... on Error { code message } } }`;

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {
    cwd,
    encoding: 'utf8',
  });

/** What a new user tries in the first hour, on the local runtime. */
describe('first use of a local project', () => {
  let t: CommandTestApp;

  beforeAll(async () => {
    t = await startCommandApp('local');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses argv written as one string, on GraphQL and on the legacy route, with a hint', async () => {
    // GraphQL coerces `argv: "echo hi"` into ["echo hi"].
    const { runShell } = await t.gql(`mutation { runShell(input: { projectName: "demo", argv: "echo hi" }) {
      __typename ... on Error { code message } } }`);
    expect(runShell).toMatchObject({ __typename: 'ValidationFailedError', code: 'VALIDATION_FAILED' });
    expect(runShell.message).toContain('argv: is one word containing spaces: use script: "echo hi"');
    expect(runShell.message).toContain('["echo","hi"]');

    const res = await fetch(`${t.url}/api/v1/projects/demo/shell`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminKey}` },
      body: JSON.stringify({ argv: ['echo hi'] }),
    });
    const body = await res.json();
    expect([res.status, body.error.code, body.error.issues[0].path]).toEqual([
      422,
      'VALIDATION_FAILED',
      'argv',
    ]);

    // One word is still a program, and several words are still literal arguments.
    const fine = await t.gql(RUN_SHELL, { input: { projectName: 'demo', argv: ['true'] } });
    expect(fine.runShell.__typename).toBe('RunCommandPayload');
    const spaced = await t.gql(RUN_SHELL, { input: { projectName: 'demo', argv: ['echo', 'a b'] } });
    expect(spaced.runShell.__typename).toBe('RunCommandPayload');
  });
});

describe('validation messages', () => {
  let t: CommandTestApp;

  beforeAll(async () => {
    t = await startCommandApp('local');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('say what a value must be in one voice, not in the library wording', async () => {
    const input = { projectName: 'demo', argv: ['true'], priority: 101 };
    const { runShell } = await t.gql(RUN_SHELL, { input });
    expect(runShell).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('priority: must be at most 100'),
    });
    expect(runShell.message).not.toContain('Too big');

    const res = await fetch(`${t.url}/api/v1/projects/demo/shell`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminKey}` },
      body: JSON.stringify({ argv: ['true'], priority: 1.5, idempotencyKey: '' }),
    });
    const issues = (await res.json()).error.issues.map(
      (i: { path: string; message: string }) => `${i.path}: ${i.message}`,
    );
    expect(issues).toEqual(
      expect.arrayContaining(['priority: must be an integer', 'idempotencyKey: must not be empty']),
    );
  });
});

describe('client mistakes in the log', () => {
  let t: CommandTestApp;

  beforeAll(async () => {
    t = await startCommandApp('local');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('logs an unknown id and a refused CSRF check once each, at info, with what happened', async () => {
    const from = t.logs.length;
    // The GraphQL URL opened in a browser's address bar, then a mistyped command id.
    const csrf = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ __typename }')}`);
    expect(csrf.status).toBe(403);
    const { body } = await t.graphql('query { command(id: "Q29tbWFuZDp4") { id } }', {}, t.auth());
    expect(body.errors[0].extensions.code).toBe('NOT_FOUND');

    const lines = t.logs.slice(from).map((line) => JSON.parse(line));
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    const refused = lines.filter((l) => l.msg.startsWith('GraphQL request refused'));
    expect(refused.map((l) => [l.level, l.code])).toEqual([
      [30, 'FORBIDDEN'],
      [30, 'NOT_FOUND'],
    ]);
    expect(refused[0].msg).toContain('CSRF');
    expect(refused[1].msg).toContain('Command "Q29tbWFuZDp4" was not found');
  });
});

describe('the last line of a failed command', () => {
  let t: CommandTestApp;

  beforeAll(async () => {
    t = await startCommandApp('local');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('says the exit code once, with what it means', async () => {
    const missing = await t.runShell({ argv: ['no-such-program-here'] });
    expect(await t.waitForEnd(missing.id)).toMatchObject({ status: 'FAILED', exitCode: 127 });
    const events = await collectOutput(t.wsClient(), missing.id);
    expect(events.at(-1)).toMatchObject({
      stream: 'SYSTEM',
      data: 'command failed (exit code 127): command not found\n',
    });
  });
});

describe('git in a local project inside another checkout', () => {
  let t: CommandTestApp;

  beforeAll(async () => {
    t = await startCommandApp('local');
    // The workspaces folder sits inside a checkout, as `./workspaces` does in rdev's own.
    const outer = dirname(t.workspace);
    git(outer, 'init', '-q');
    writeFileSync(join(outer, 'outer-file'), 'x');
    git(outer, 'add', 'outer-file');
    git(outer, 'commit', '-q', '-m', 'the outer checkout');
  });
  afterAll(async () => {
    await t?.close();
  });

  const output = async (id: string) => (await collectOutput(t.wsClient(), id)).map((e) => e.data).join('');

  it('never reaches the checkout around the workspaces folder, from the project or a subfolder', async () => {
    mkdirSync(join(t.workspace, 'sub'));
    for (const cwd of [null, 'sub']) {
      const probe = await t.runShell({ script: 'git rev-parse --show-toplevel', cwd });
      expect(await t.waitForEnd(probe.id), String(cwd)).toMatchObject({ status: 'FAILED', exitCode: 128 });
      expect(await output(probe.id)).toContain('not a git repository');
    }
    // A folder of the project that is a link out of it is no way around the ceiling.
    symlinkSync(dirname(t.workspace), join(t.workspace, 'outside'));
    symlinkSync('.rdev', join(t.workspace, 'state'));
    for (const cwd of ['outside', 'state']) {
      const linked = await t.runShell({ script: 'git log --oneline', cwd });
      const ended = await t.waitForEnd(linked.id);
      expect(ended, cwd).toMatchObject({ status: 'FAILED', exitCode: null });
      expect(ended.error).toContain('cwd: must stay inside the workspace');
    }
    const log = await t.runShell({ script: 'git log --oneline' });
    await t.waitForEnd(log.id);
    expect(await output(log.id)).not.toContain('the outer checkout');
  });
});

describe.each(COMMAND_RUNTIMES)(
  'a project that is not a git repository yet, on the %s runtime',
  (runtime) => {
    let t: CommandTestApp;

    beforeAll(async () => {
      t = await startCommandApp(runtime);
    });
    afterAll(async () => {
      await t?.close();
    });

    const stdoutOf = async (id: string) =>
      (await collectOutput(t.wsClient(), id))
        .filter((e) => e.stream === 'STDOUT')
        .map((e) => e.data)
        .join('');

    it('refuses runGit with PRECONDITION_FAILED and how to make the folder a repository', async () => {
      const { runGit } = await t.gql(RUN_GIT, { input: { projectName: 'demo', args: ['status'] } });
      expect(runGit).toMatchObject({ __typename: 'PreconditionFailedError', code: 'PRECONDITION_FAILED' });
      expect(runGit.message).toContain('The folder of project "demo" is not a git repository');
      expect(runGit.message).toContain('git init');
    });

    it('keeps .rdev out of git add ., for a repository made before or after the first command', async () => {
      git(t.workspace, 'init', '-q');
      const first = await t.runShell({ script: 'echo hello > file.txt' });
      expect(await t.waitForEnd(first.id)).toMatchObject({ status: 'SUCCEEDED' });
      expect(readFileSync(join(t.workspace, '.git/info/exclude'), 'utf8')).toMatch(/^\/\.rdev\/$/m);

      const status = (
        await t.gql(RUN_GIT, { input: { projectName: 'demo', args: ['status', '--porcelain', '-uall'] } })
      ).runGit.command;
      expect(await t.waitForEnd(status.id)).toMatchObject({ status: 'SUCCEEDED' });
      const listed = await stdoutOf(status.id);
      expect(listed).toBe('?? file.txt\n');

      // A repository created after rdev's first write: `.rdev/.gitignore` covers it.
      execFileSync('rm', ['-rf', join(t.workspace, '.git')]);
      const again = await t.runShell({ script: 'git init -q && git add . && git status --porcelain' });
      expect(await t.waitForEnd(again.id)).toMatchObject({ status: 'SUCCEEDED' });
      const staged = await stdoutOf(again.id);
      expect(staged).toBe('A  file.txt\n');
      expect(existsSync(join(t.workspace, '.rdev/.gitignore'))).toBe(true);
    });
  },
);

const CANCEL = `mutation($id: ID!) { cancelCommand(input: { id: $id }) { __typename
  ... on CancelCommandPayload { command { id status } } ... on Error { code message } } }`;

/** A marker this suite's database refuses in output rows, as a database may refuse any value. */
const REFUSED = 'REFUSE-ME';
const REFUSAL = `the database refused it (SQLSTATE 23514: this test database refuses marked output)`;

const wholeDecode = (bytes: Uint8Array) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);

describe.each(DATABASE_KINDS)('binary output, on %s', (database) => {
  let t: CommandTestApp;

  beforeAll(async () => {
    t = await startCommandApp('local', {}, { database });
    // A real refusal by the database, as a constraint or a value it cannot hold would give.
    await sql`CREATE FUNCTION refuse_marked_output() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.data LIKE '%REFUSE-ME%' THEN
          RAISE EXCEPTION 'this test database refuses marked output' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$`.execute(t.database.db);
    await sql`CREATE TRIGGER refuse_marked_output BEFORE INSERT ON command_output
      FOR EACH ROW EXECUTE FUNCTION refuse_marked_output()`.execute(t.database.db);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('replays byte for byte in dataBase64 on every transport, with U+FFFD in data where bytes are not text', async () => {
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    // All 256 byte values, a NUL between letters, invalid UTF-8 (a stray continuation byte, an
    // overlong, a surrogate), and a euro sign whose bytes arrive in two writes.
    const first = Buffer.concat([
      every,
      Buffer.from('x\0y'),
      Buffer.from([0xff, 0xfe, 0x80, 0xc0, 0xaf, 0xed, 0xa0, 0x80]),
      Buffer.from('split \xe2\x82', 'latin1'),
    ]);
    const second = Buffer.from('\xac end\n', 'latin1');
    const dir = join(t.workspace, 'binary');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'first'), first);
    writeFileSync(join(dir, 'second'), second);
    const command = await t.runShell({
      script: `cat '${dir}/first'; cat '${dir}/first' >&2; sleep 0.3; cat '${dir}/second'`,
    });
    expect((await t.waitForEnd(command.id)).status).toBe('SUCCEEDED');
    const stdout = Buffer.concat([first, second]);
    const text = wholeDecode(stdout).replaceAll('\0', '\uFFFD');
    expect(text).toContain('split € end\n');
    expect(text).toContain('x\uFFFDy');

    const { command: stored } = await t.gql(
      `query($id: ID!) { command(id: $id) { output(after: 0, first: 100) { seq stream data dataBase64 } } }`,
      { id: command.id },
    );
    const live = await collectOutput(t.wsClient(), command.id);
    const session = openCommandStream(t.url, plainId(command.id), t.adminKey);
    await session.ended;
    const legacy = session.events.map((e) => e.data);
    for (const events of [stored.output, live, legacy]) {
      expect(streamBytes(events, 'STDOUT')).toEqual(stdout);
      expect(streamBytes(events, 'STDERR')).toEqual(first);
      const data = (stream: string) =>
        events
          .filter((e: { stream: string }) => e.stream === stream)
          .map((e: { data: string }) => e.data)
          .join('');
      expect(data('STDOUT')).toBe(text);
      expect(data('STDERR')).toBe(wholeDecode(first).replaceAll('\0', '\uFFFD'));
    }
    // rdev's own lines have bytes too: the UTF-8 of their text.
    const end = live.at(-1)!;
    expect(Buffer.from(end.dataBase64, 'base64').toString('utf8')).toBe(end.data);
  });

  it('ends a command whose output the database keeps refusing: FAILED saying why, or CANCELLED when cancelled', async () => {
    // Both at once, to keep the suite quick. The second prints the refused line only once the
    // cancel stops it.
    const [failing, cancelled] = await Promise.all([
      t.runShell({ script: `echo before; echo ${REFUSED}; sleep 30` }),
      t.runShell({ script: `trap 'echo ${REFUSED}; exit 0' TERM; echo started; sleep 30 & wait` }),
    ]);
    const cancelling = (async () => {
      await until(
        async () => {
          const { command } = await t.gql(`query($id: ID!) { command(id: $id) { output { data } } }`, {
            id: cancelled.id,
          });
          return command.output.some((e: { data: string }) => e.data === 'started\n');
        },
        10_000,
        'the first line stored',
      );
      const { cancelCommand } = await t.gql(CANCEL, { id: cancelled.id });
      expect(cancelCommand.__typename).toBe('CancelCommandPayload');
      return t.waitForEnd(cancelled.id);
    })();

    const ended = await t.waitForEnd(failing.id);
    expect(ended).toMatchObject({ status: 'FAILED', error: `could not store its output: ${REFUSAL}` });
    const pgid = Number(readFileSync(join(t.workspace, '.rdev', 'runs', plainId(failing.id), 'pid'), 'utf8'));
    expect(liveGroupMembers(pgid)).toEqual([]);
    const events = await collectOutput(t.wsClient(), failing.id);
    expect(events.at(-1)!.end).toMatchObject({ status: 'FAILED' });
    expect(events.at(-1)!.data).toContain(REFUSAL);

    expect(await cancelling).toMatchObject({ status: 'CANCELLED', error: 'cancelled' });
  });
});
