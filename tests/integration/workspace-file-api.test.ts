/**
 * Workspace files through the public GraphQL API on the local runtime: reads, listings, atomic
 * writes with etags, moves, deletes, audit rows, the path attacks the API must refuse, and the
 * scopes and project grants every field and mutation needs.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalWorkspaceFileSystem } from '../../src/adapters/local/local-workspace-file-system.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

const FILE = 'path name kind size mode etag';
const ERRORS =
  '... on Error { __typename code message } ... on ValidationFailedError { issues { path message } }';
const GET = `query($p: String!, $path: String!, $max: Int) { project(name: $p) { file(path: $path) { ${FILE} modifiedAt text(maxBytes: $max) contentBase64(maxBytes: $max) } } }`;
const LIST = `query($p: String!, $path: String, $recursive: Boolean, $first: Int, $after: String) { project(name: $p) { files(path: $path, recursive: $recursive, first: $first, after: $after) { truncated edges { cursor node { path kind } } pageInfo { hasNextPage endCursor } } } }`;
const WRITE = `mutation($input: WriteFileInput!) { writeFile(input: $input) { __typename ... on WriteFilePayload { file { ${FILE} } } ${ERRORS} } }`;
const DELETE = `mutation($input: DeleteFileInput!) { deleteFile(input: $input) { __typename ... on DeleteFilePayload { path } ${ERRORS} } }`;
const MOVE = `mutation($input: MoveFileInput!) { moveFile(input: $input) { __typename ... on MoveFilePayload { file { ${FILE} } } ${ERRORS} } }`;
const MKDIR = `mutation($input: CreateDirectoryInput!) { createDirectory(input: $input) { __typename ... on CreateDirectoryPayload { file { ${FILE} } } ${ERRORS} } }`;

describe('workspace files over GraphQL, local runtime', () => {
  let t: TestApp;
  let root: string;
  let workspace: string;
  let outside: string;
  let socket: Server;

  const call = async (query: string, input: Record<string, unknown>, key?: string) => {
    const { body } = await t.graphql(query, { input: { projectName: 'demo', ...input } }, t.auth(key));
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    return Object.values(body.data as Record<string, any>)[0];
  };
  const write = (input: Record<string, unknown>, key?: string) => call(WRITE, input, key);
  const get = async (path: string, key?: string, max?: number) =>
    t.graphql(GET, { p: 'demo', path, max }, t.auth(key));
  const list = async (vars: Record<string, unknown>, key?: string) =>
    t.graphql(LIST, { p: 'demo', ...vars }, t.auth(key));

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'rdev-files-api-'));
    const workspaces = join(root, 'workspaces');
    workspace = join(workspaces, 'demo');
    outside = join(root, 'outside');
    for (const dir of [workspace, join(workspaces, 'other'), outside]) mkdirSync(dir, { recursive: true });
    writeFileSync(join(outside, 'secret.txt'), 'outside secret');
    writeFileSync(
      join(workspaces, 'rdev-projects.yaml'),
      'demo:\n  files:\n    hidden: ["private/**"]\n    read_only: ["vendor/**"]\n',
    );
    t = await startTestApp('pglite', { RDEV_WORKSPACES_DIR: workspaces });
  });

  afterAll(async () => {
    socket?.close();
    await t?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('writes, reads, lists, moves and deletes files, with an audit row for each change', async () => {
    const written = await write({ path: 'notes/todo.md', text: 'buy milk\n', createParents: true });
    expect(written.__typename).toBe('WriteFilePayload');
    expect(written.file).toMatchObject({
      path: 'notes/todo.md',
      name: 'todo.md',
      kind: 'FILE',
      size: 9,
      mode: 0o644,
    });
    expect(written.file.etag).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(workspace, 'notes/todo.md'), 'utf8')).toBe('buy milk\n');

    const binary = Buffer.from([0, 1, 2, 255]);
    const bin = await write({
      path: 'notes/raw.bin',
      contentBase64: binary.toString('base64'),
      executable: true,
    });
    expect(bin.file.mode).toBe(0o755);
    const read = (await get('notes/raw.bin')).body.data.project.file;
    expect(read.text).toBeNull();
    expect(Buffer.from(read.contentBase64, 'base64')).toEqual(binary);
    expect((await get('notes/todo.md')).body.data.project.file.text).toBe('buy milk\n');
    expect((await get('notes/todo.md', undefined, 3)).body.data.project.file.text).toBeNull();
    expect((await get('notes/missing.md')).body.data.project.file).toBeNull();

    await call(MKDIR, { path: 'notes/sub/deeper' });
    expect(await call(MKDIR, { path: 'notes/sub' })).toMatchObject({ code: 'CONFLICT' });
    const page1 = (await list({ path: 'notes', recursive: true, first: 2 })).body.data.project.files;
    expect(page1.edges.map((e: any) => e.node.path)).toEqual(['notes/raw.bin', 'notes/sub']);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = (await list({ path: 'notes', recursive: true, first: 10, after: page1.pageInfo.endCursor }))
      .body.data.project.files;
    expect(page2.edges.map((e: any) => e.node)).toEqual([
      { path: 'notes/sub/deeper', kind: 'DIRECTORY' },
      { path: 'notes/todo.md', kind: 'FILE' },
    ]);

    const moved = await call(MOVE, {
      from: 'notes/todo.md',
      to: 'notes/done.md',
      ifMatch: written.file.etag,
    });
    expect(moved.file).toMatchObject({ path: 'notes/done.md', size: 9 });
    expect(await call(MOVE, { from: 'notes/done.md', to: 'notes/raw.bin' })).toMatchObject({
      code: 'CONFLICT',
    });
    expect(await call(DELETE, { path: 'notes/sub' })).toMatchObject({ code: 'CONFLICT' });
    expect(await call(DELETE, { path: 'notes/sub', recursive: true })).toEqual({
      __typename: 'DeleteFilePayload',
      path: 'notes/sub',
    });
    expect(await call(DELETE, { path: 'notes/nothing' })).toMatchObject({ code: 'NOT_FOUND' });
    expect(existsSync(join(workspace, 'notes/sub'))).toBe(false);

    const audit = await t.graphql(
      '{ auditEvents(first: 50, filter: { targetType: "WorkspaceFile" }) { edges { node { action targetId actorKeyId details } } } }',
      {},
      t.auth(),
    );
    const actions = audit.body.data.auditEvents.edges.map((e: any) => [e.node.action, e.node.details.path]);
    expect(actions).toEqual(
      expect.arrayContaining([
        ['file.write', 'notes/todo.md'],
        ['file.move', 'notes/done.md'],
        ['file.delete', 'notes/sub'],
      ]),
    );
    const row = audit.body.data.auditEvents.edges.find((e: any) => e.node.action === 'file.write').node;
    expect(row.details).toMatchObject({ projectName: 'demo', size: expect.any(Number) });
    expect(row.actorKeyId).not.toBeNull();
  });

  it('refuses a stale ifMatch with PRECONDITION_FAILED and keeps the newer content', async () => {
    const first = await write({ path: 'race.txt', text: 'one' });
    const second = await write({ path: 'race.txt', text: 'two', ifMatch: first.file.etag });
    expect(second.__typename).toBe('WriteFilePayload');
    expect(await write({ path: 'race.txt', text: 'three', ifMatch: first.file.etag })).toMatchObject({
      __typename: 'PreconditionFailedError',
      code: 'PRECONDITION_FAILED',
    });
    expect(await call(DELETE, { path: 'race.txt', ifMatch: first.file.etag })).toMatchObject({
      code: 'PRECONDITION_FAILED',
    });
    expect(readFileSync(join(workspace, 'race.txt'), 'utf8')).toBe('two');
  });

  it('never shows half a file to readers while writers race (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 5 }),
        async (digits) => {
          const bodies = digits.map((d) => String(d).repeat(64 * 1024 + d));
          const reads: Promise<string | null>[] = [];
          const writes = bodies.map((text) => write({ path: 'busy.txt', text }));
          for (let i = 0; i < 4; i++) {
            reads.push(
              get('busy.txt', undefined, 1024 * 1024).then((r) => r.body.data?.project.file?.text ?? null),
            );
          }
          const results = await Promise.all(writes);
          for (const r of results) expect(r.__typename).toBe('WriteFilePayload');
          for (const seen of await Promise.all(reads)) {
            // A whole body of some write (of this run or an earlier one), never a mix or a prefix.
            if (seen !== null)
              expect(/^(\d)\1*$/.test(seen) && seen.length === 64 * 1024 + Number(seen[0])).toBe(true);
          }
          expect(bodies).toContain(readFileSync(join(workspace, 'busy.txt'), 'utf8'));
        },
      ),
      { numRuns: 4 },
    );
  });

  it('refuses path attacks and touches nothing outside the workspace', async () => {
    symlinkSync(outside, join(workspace, 'escape'));
    symlinkSync(join(outside, 'secret.txt'), join(workspace, 'secret-link.txt'));
    linkSync(join(outside, 'secret.txt'), join(workspace, 'hard.txt'));
    execFileSync('mkfifo', [join(workspace, 'pipe')]);
    socket = createServer();
    await new Promise<void>((resolve) => socket.listen(join(workspace, 'sock'), resolve));
    mkdirSync(join(workspace, '.rdev/runs'), { recursive: true });
    mkdirSync(join(workspace, '.git'), { recursive: true });
    writeFileSync(join(workspace, '.git/HEAD'), 'ref: refs/heads/main\n');
    mkdirSync(join(workspace, 'private'), { recursive: true });
    writeFileSync(join(workspace, 'private/key.pem'), 'KEY');
    mkdirSync(join(workspace, 'vendor'), { recursive: true });
    writeFileSync(join(workspace, 'vendor/lib.js'), 'lib');

    const codeOf = (r: any) => r.code;
    for (const [path, code] of [
      ['../outside/secret.txt', 'VALIDATION_FAILED'],
      ['a/../../x', 'VALIDATION_FAILED'],
      ['/etc/passwd', 'VALIDATION_FAILED'],
      ['a\0b', 'VALIDATION_FAILED'],
      ['escape/secret.txt', 'FORBIDDEN'],
      ['escape/new.txt', 'FORBIDDEN'],
      ['secret-link.txt', 'FORBIDDEN'],
      ['hard.txt', 'FORBIDDEN'],
      ['pipe', 'FORBIDDEN'],
      ['sock', 'FORBIDDEN'],
      ['.rdev/runs/x', 'FORBIDDEN'],
      ['.git/HEAD', 'FORBIDDEN'],
      ['private/key.pem', 'FORBIDDEN'],
      ['vendor/lib.js', 'FORBIDDEN'],
    ] as const) {
      expect(codeOf(await write({ path, text: 'pwned', createParents: true })), path).toBe(code);
    }
    for (const [path, code] of [
      ['escape/secret.txt', 'FORBIDDEN'],
      ['../outside/secret.txt', 'VALIDATION_FAILED'],
      ['private/key.pem', 'FORBIDDEN'],
      ['.rdev', 'FORBIDDEN'],
    ] as const) {
      const { body } = await get(path);
      expect(body.errors?.[0]?.extensions?.code, path).toBe(code);
    }
    // Links and special files are described but never read.
    for (const path of ['secret-link.txt', 'hard.txt', 'pipe']) {
      const { body } = await get(path);
      expect(body.data.project.file.text, path).toBeNull();
      expect(body.errors?.[0]?.extensions?.code, path).toBe('FORBIDDEN');
    }
    const { body: described } = await t.graphql(
      `query { project(name: "demo") { file(path: "secret-link.txt") { kind size } } }`,
      {},
      t.auth(),
    );
    expect(described.data.project.file).toEqual({
      kind: 'SYMLINK',
      size: join(outside, 'secret.txt').length,
    });
    expect(await call(DELETE, { path: '.git/HEAD' })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await call(MOVE, { from: 'vendor/lib.js', to: 'lib.js' })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await call(MOVE, { from: 'escape/secret.txt', to: 'stolen.txt' })).toMatchObject({
      code: 'FORBIDDEN',
    });
    // Listing hides .rdev and hidden paths and does not descend into links.
    const listed = (await list({ recursive: true, first: 100 })).body.data.project.files.edges.map(
      (e: any) => e.node.path,
    );
    expect(listed).toEqual(expect.arrayContaining(['.git', '.git/HEAD', 'escape', 'vendor/lib.js']));
    expect(listed.filter((p: string) => /^(\.rdev|private)|^escape\//.test(p))).toEqual([]);
    expect((await list({ path: 'escape' })).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // Nothing outside changed; the hard link still shares the outside file.
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('outside secret');
    expect(existsSync(join(outside, 'new.txt'))).toBe(false);
    expect(statSync(join(outside, 'secret.txt')).nlink).toBe(2);
    expect(readFileSync(join(workspace, '.git/HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
  });

  it('keeps writing into the folder it checked when a link is swapped in mid-write', async () => {
    const files = new LocalWorkspaceFileSystem();
    const target = { projectName: 'demo', workspacePath: workspace };
    mkdirSync(join(workspace, 'swap'), { recursive: true });
    async function* body() {
      yield Buffer.from('first half, ');
      // The folder the write checked is replaced by a link to a folder outside the workspace.
      renameSync(join(workspace, 'swap'), join(workspace, 'swap-old'));
      symlinkSync(outside, join(workspace, 'swap'));
      yield Buffer.from('second half');
    }
    const written = await files.write(target, 'swap/target.txt', body(), {
      ifMatch: null,
      createOnly: false,
      createParents: false,
      executable: null,
      maxBytes: 1024,
    });
    expect(written.size).toBe(23);
    expect(existsSync(join(outside, 'target.txt'))).toBe(false);
    expect(readFileSync(join(workspace, 'swap-old/target.txt'), 'utf8')).toBe('first half, second half');
    // Later calls see the link and refuse it.
    await expect(files.stat(target, 'swap/target.txt')).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('reports git state and diffs from git machine formats, and null outside a repository', async () => {
    const repo = join(root, 'workspaces', 'other');
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo });
    git('init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'keep.txt'), 'one\ntwo\n');
    writeFileSync(join(repo, 'gone.txt'), 'bye\n');
    writeFileSync(join(repo, 'old name.txt'), 'moving\n');
    git('add', '.');
    git('commit', '-q', '-m', 'start');
    writeFileSync(join(repo, 'keep.txt'), 'one\n2\nthree\n');
    writeFileSync(join(repo, 'new.txt'), 'fresh\n');
    rmSync(join(repo, 'gone.txt'));
    git('mv', 'old name.txt', 'new name.txt');
    const query = `query($base: String) { project(name: "other") { git {
      branch head upstream ahead behind entries { path originalPath index worktree }
      diff { truncated files { path additions deletions } text }
      staged: diff(staged: true) { files { path originalPath } }
      one: diff(path: "keep.txt", base: $base, maxBytes: 20) { truncated text files { path } } } } }`;
    const { body } = await t.graphql(query, { base: 'main' }, t.auth());
    expect(body.errors).toBeUndefined();
    const state = body.data.project.git;
    expect(state).toMatchObject({ branch: 'main', upstream: null, ahead: null, behind: null });
    expect(state.head).toMatch(/^[0-9a-f]{40}$/);
    expect(state.entries).toEqual([
      { path: 'gone.txt', originalPath: null, index: 'UNCHANGED', worktree: 'DELETED' },
      { path: 'keep.txt', originalPath: null, index: 'UNCHANGED', worktree: 'MODIFIED' },
      { path: 'new name.txt', originalPath: 'old name.txt', index: 'RENAMED', worktree: 'UNCHANGED' },
      { path: 'new.txt', originalPath: null, index: 'UNTRACKED', worktree: 'UNTRACKED' },
    ]);
    expect(state.diff.files).toEqual([
      { path: 'gone.txt', additions: 0, deletions: 1 },
      { path: 'keep.txt', additions: 2, deletions: 1 },
    ]);
    expect(state.diff.text).toContain('+three');
    expect(state.staged.files).toEqual([{ path: 'new name.txt', originalPath: 'old name.txt' }]);
    expect(state.one).toMatchObject({ truncated: true, files: [{ path: 'keep.txt' }] });
    expect(state.one.text).toHaveLength(20);
    const bad = await t.graphql(query, { base: '--output=/tmp/x' }, t.auth());
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    const none = await t.graphql('{ project(name: "demo") { git { branch } } }', {}, t.auth());
    expect(none.body.data.project.git).toBeNull();

    // A command that edits one file, adds one and deletes one reports exactly those three.
    git('add', '-A');
    git('commit', '-q', '-m', 'clean');
    writeFileSync(join(repo, 'untouched.txt'), 'already untracked\n');
    const run = await t.graphql(
      `mutation($input: RunShellInput!) { runShell(input: $input) { __typename ... on RunCommandPayload { command { id workspaceChanges { path } } } ... on Error { code message } } }`,
      {
        input: { projectName: 'other', script: 'echo more >> keep.txt && echo hi > added.txt && rm new.txt' },
      },
      t.auth(),
    );
    const started = run.body.data.runShell;
    expect(started.__typename, JSON.stringify(started)).toBe('RunCommandPayload');
    expect(started.command.workspaceChanges).toBeNull();
    let ended: any;
    await waitFor(
      async () => {
        const { body: c } = await t.graphql(
          'query($id: ID!) { command(id: $id) { status workspaceChanges { path originalPath index worktree } } }',
          { id: started.command.id },
          t.auth(),
        );
        ended = c.data.command;
        return ['SUCCEEDED', 'FAILED'].includes(ended.status);
      },
      'the command to end',
      30_000,
    );
    expect(ended.status).toBe('SUCCEEDED');
    expect(ended.workspaceChanges).toEqual([
      { path: 'added.txt', originalPath: null, index: 'UNTRACKED', worktree: 'UNTRACKED' },
      { path: 'keep.txt', originalPath: null, index: 'UNCHANGED', worktree: 'MODIFIED' },
      { path: 'new.txt', originalPath: null, index: 'UNCHANGED', worktree: 'DELETED' },
    ]);
  });

  it('needs files:read and files:write, and a grant of the project, on every field and mutation', async () => {
    writeFileSync(join(workspace, 'open.txt'), 'open');
    const reader = await t.createKey({ scopes: ['PROJECTS_READ', 'FILES_READ'] });
    const projectsOnly = await t.createKey({ scopes: ['PROJECTS_READ'] });
    const otherProject = await t.createKey({
      scopes: ['PROJECTS_READ', 'FILES_READ', 'FILES_WRITE'],
      projectNames: ['other'],
    });
    expect((await get('open.txt', reader.key)).body.data.project.file.text).toBe('open');
    for (const key of [projectsOnly.key]) {
      expect((await get('open.txt', key)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await list({}, key)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const git = await t.graphql('{ project(name: "demo") { git { branch } } }', {}, t.auth(key));
      expect(git.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    for (const key of [reader.key, projectsOnly.key]) {
      expect(await write({ path: 'x.txt', text: 'x' }, key)).toMatchObject({ code: 'FORBIDDEN' });
      expect(await call(DELETE, { path: 'open.txt' }, key)).toMatchObject({ code: 'FORBIDDEN' });
      expect(await call(MOVE, { from: 'open.txt', to: 'y.txt' }, key)).toMatchObject({ code: 'FORBIDDEN' });
      expect(await call(MKDIR, { path: 'd' }, key)).toMatchObject({ code: 'FORBIDDEN' });
    }
    expect(await write({ path: 'x.txt', text: 'x' }, otherProject.key)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await call(DELETE, { path: 'open.txt' }, otherProject.key)).toMatchObject({ code: 'NOT_FOUND' });
    expect(readFileSync(join(workspace, 'open.txt'), 'utf8')).toBe('open');
    expect(existsSync(join(workspace, 'x.txt'))).toBe(false);
  });
});
