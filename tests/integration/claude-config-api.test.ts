/**
 * Claude Code commands, skills and agents through the public GraphQL API, on the local runtime
 * (folders) and on the Kubernetes runtime against the fake API server (exec into a pod whose
 * workspace is a local folder).
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  READ_SCRIPT,
  REMOVE_SCRIPT,
  SCRIPT_NAME,
  WRITE_SCRIPT,
} from '../../src/adapters/kubernetes/workspace-files-scripts.js';
import { type FakeKubeApiServer, startFakeKubeApiServer } from '../support/fake-kube-apiserver.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const LIMIT = 4096;
const ITEM =
  'id projectName kind name path content body frontmatter problems { severity field line message } valid size modifiedAt etag files { path type size } filesTruncated';
const ERRORS = '... on Error { code message } ... on ValidationFailedError { issues { path message } }';
const LIST = `query($project: String!, $kind: ClaudeConfigKind!) { project(name: $project) { claudeConfigItems(kind: $kind) { ${ITEM} } } }`;
const GET = `query($project: String!, $kind: ClaudeConfigKind!, $name: String!) { project(name: $project) { claudeConfigItem(kind: $kind, name: $name) { ${ITEM} } } }`;
const CREATE = `mutation($input: CreateClaudeConfigItemInput!) { createClaudeConfigItem(input: $input) { __typename ... on ClaudeConfigItemPayload { item { ${ITEM} } } ${ERRORS} } }`;
const UPDATE = `mutation($input: UpdateClaudeConfigItemInput!) { updateClaudeConfigItem(input: $input) { __typename ... on ClaudeConfigItemPayload { item { ${ITEM} } } ${ERRORS} } }`;
const DELETE = `mutation($input: DeleteClaudeConfigItemInput!) { deleteClaudeConfigItem(input: $input) { __typename ... on DeleteClaudeConfigItemPayload { deletedId } ${ERRORS} } }`;

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Runtime {
  name: 'local' | 'kubernetes';
  start(env?: Record<string, string>): Promise<{
    t: TestApp;
    workspace: string;
    root: string;
    fake: FakeKubeApiServer | null;
    close(): Promise<void>;
  }>;
}

const RUNTIMES: Runtime[] = [
  {
    name: 'local',
    async start() {
      const root = mkdtempSync(join(tmpdir(), 'rdev-claude-api-'));
      const workspaces = join(root, 'workspaces');
      for (const project of ['demo', 'other']) mkdirSync(join(workspaces, project), { recursive: true });
      const t = await startTestApp('pglite', {
        RDEV_WORKSPACES_DIR: workspaces,
        RDEV_CLAUDE_CONFIG_MAX_BYTES: String(LIMIT),
      });
      return {
        t,
        root,
        workspace: join(workspaces, 'demo'),
        fake: null,
        close: async () => {
          await t.close();
          rmSync(root, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'kubernetes',
    async start(env = {}) {
      const root = mkdtempSync(join(tmpdir(), 'rdev-claude-kube-'));
      const fake = await startFakeKubeApiServer({ namespace: 'rdev-test', rootDir: join(root, 'pods') });
      for (const project of ['demo', 'other']) {
        const pod = `${project}-0`;
        fake.createPod({
          name: pod,
          labels: { 'rdev.orchard9.ai/project': 'true', 'rdev.orchard9.ai/name': project },
          annotations: { 'rdev.orchard9.ai/workspace': fake.podDir(pod) },
        });
      }
      const kubeconfig = join(root, 'kubeconfig.json');
      writeFileSync(kubeconfig, fake.kubeConfig().exportConfig());
      const t = await startTestApp('pglite', {
        RDEV_RUNTIME: 'kubernetes',
        KUBECONFIG: kubeconfig,
        RDEV_NAMESPACE: 'rdev-test',
        RDEV_CLAUDE_CONFIG_MAX_BYTES: String(LIMIT),
        ...env,
      });
      return {
        t,
        root,
        workspace: fake.podDir('demo-0'),
        fake,
        close: async () => {
          await t.close();
          await fake.close();
          rmSync(root, { recursive: true, force: true });
        },
      };
    },
  },
];

describe.each(RUNTIMES)('Claude Code config over GraphQL, $name runtime', (runtime) => {
  let env: Awaited<ReturnType<Runtime['start']>>;
  let t: TestApp;
  let outside: string;
  const onDisk = (...parts: string[]) => join(env.workspace, '.claude', ...parts);
  const sentinel = () => join(env.workspace, 'sentinel.txt');

  const call = async (query: string, input: Record<string, unknown>, key?: string) => {
    const { body } = await t.graphql(query, { input }, t.auth(key));
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    return Object.values(body.data as Record<string, any>)[0];
  };
  const create = (input: Record<string, unknown>, key?: string) =>
    call(CREATE, { projectName: 'demo', ...input }, key);
  const update = (input: Record<string, unknown>, key?: string) =>
    call(UPDATE, { projectName: 'demo', ...input }, key);
  const remove = (input: Record<string, unknown>, key?: string) =>
    call(DELETE, { projectName: 'demo', ...input }, key);
  const get = async (kind: string, name: string, key?: string) =>
    t.graphql(GET, { project: 'demo', kind, name }, t.auth(key));
  const list = async (kind: string, key?: string) => t.graphql(LIST, { project: 'demo', kind }, t.auth(key));

  beforeAll(async () => {
    env = await runtime.start();
    t = env.t;
    outside = join(env.root, 'outside');
  });

  afterAll(async () => {
    await env.close();
  });

  beforeEach(() => {
    rmSync(onDisk(), { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.md'), 'outside secret');
    writeFileSync(sentinel(), 'sentinel secret');
  });

  it.each([
    {
      kind: 'COMMAND',
      name: 'deploy',
      path: ['commands', 'deploy.md'],
      v1: '---\ndescription: Deploy\nargument-hint: [env]\n---\nDeploy to $ARGUMENTS\n',
      v2: '---\ndescription: Deploy it\n---\nDeploy to $1\n',
    },
    {
      kind: 'AGENT',
      name: 'code-reviewer',
      path: ['agents', 'code-reviewer.md'],
      v1: '---\nname: code-reviewer\ndescription: Reviews code\ntools: Read, Grep\nmodel: sonnet\n---\nYou review code.\n',
      v2: '---\nname: code-reviewer\ndescription: Reviews code strictly\n---\nBe strict.\n',
    },
    {
      kind: 'SKILL',
      name: 'pdf-forms',
      path: ['skills', 'pdf-forms', 'SKILL.md'],
      v1: '---\nname: pdf-forms\ndescription: Fills PDF forms\n---\n# PDF forms\n',
      v2: '---\nname: pdf-forms\ndescription: Fills and reads PDF forms\n---\n# PDF forms v2\n',
    },
  ])(
    'round-trips a $kind: create, list, get, update with ifMatch, refuse a stale ifMatch, delete',
    async (c) => {
      const created = await create({ kind: c.kind, name: c.name, content: c.v1 });
      expect(created.__typename, JSON.stringify(created)).toBe('ClaudeConfigItemPayload');
      const item = created.item;
      expect(item).toMatchObject({
        projectName: 'demo',
        kind: c.kind,
        name: c.name,
        path: `.claude/${c.path.join('/')}`,
        content: c.v1,
        valid: true,
        problems: [],
        size: Buffer.byteLength(c.v1),
        etag: sha256(c.v1),
      });
      expect(readFileSync(onDisk(...c.path), 'utf8')).toBe(c.v1);

      if (c.kind === 'SKILL') {
        mkdirSync(onDisk('skills', c.name, 'scripts'));
        writeFileSync(onDisk('skills', c.name, 'scripts', 'fill.py'), 'print("fill")\n');
      }
      const listed = (await list(c.kind)).body.data.project.claudeConfigItems;
      expect(listed.map((i: any) => [i.name, i.content, i.etag])).toEqual([[c.name, c.v1, item.etag]]);
      const got = (await get(c.kind, c.name)).body.data.project.claudeConfigItem;
      expect(got).toMatchObject({
        id: item.id,
        content: c.v1,
        etag: item.etag,
        frontmatter: expect.any(Object),
      });
      expect(got.body).toBe(c.v1.slice(c.v1.indexOf('---\n', 4) + 4));
      if (c.kind === 'SKILL') {
        expect(got.files).toEqual([
          { path: 'SKILL.md', type: 'FILE', size: Buffer.byteLength(c.v1) },
          { path: 'scripts', type: 'DIRECTORY', size: expect.any(Number) },
          { path: 'scripts/fill.py', type: 'FILE', size: 14 },
        ]);
      } else expect(got.files).toBeNull();
      const node = await t.graphql(
        `query($id: ID!) { node(id: $id) { ... on ClaudeConfigItem { name etag } } }`,
        { id: item.id },
        t.auth(),
      );
      expect(node.body.data.node).toEqual({ name: c.name, etag: item.etag });

      const updated = await update({ kind: c.kind, name: c.name, content: c.v2, ifMatch: item.etag });
      expect(updated).toMatchObject({
        __typename: 'ClaudeConfigItemPayload',
        item: { content: c.v2, etag: sha256(c.v2) },
      });
      const stale = await update({ kind: c.kind, name: c.name, content: 'lost update', ifMatch: item.etag });
      expect(stale).toMatchObject({ __typename: 'PreconditionFailedError', code: 'PRECONDITION_FAILED' });
      expect(readFileSync(onDisk(...c.path), 'utf8')).toBe(c.v2);
      const staleDelete = await remove({ kind: c.kind, name: c.name, ifMatch: item.etag });
      expect(staleDelete).toMatchObject({ code: 'PRECONDITION_FAILED' });
      const again = await create({ kind: c.kind, name: c.name, content: 'dup' });
      expect(again).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });

      const deleted = await remove({ kind: c.kind, name: c.name, ifMatch: updated.item.etag });
      expect(deleted).toEqual({ __typename: 'DeleteClaudeConfigItemPayload', deletedId: item.id });
      expect((await get(c.kind, c.name)).body.data.project.claudeConfigItem).toBeNull();
      expect(existsSync(onDisk(...c.path))).toBe(false);
      if (c.kind === 'SKILL') expect(existsSync(onDisk('skills', c.name))).toBe(false);
      expect(await remove({ kind: c.kind, name: c.name })).toMatchObject({ code: 'NOT_FOUND' });
      expect(await update({ kind: c.kind, name: c.name, content: 'x' })).toMatchObject({ code: 'NOT_FOUND' });

      const audit = await t.graphql(
        `query($id: String!) { auditEvents(filter: { targetType: "ClaudeConfigItem", targetId: $id }) { edges { node { action outcome details } } } }`,
        { id: `demo/${c.kind}/${c.name}` },
        t.auth(),
      );
      const events = audit.body.data.auditEvents.edges.map((e: any) => e.node);
      expect(events.map((e: any) => e.action)).toEqual([
        'claude_config.delete',
        'claude_config.update',
        'claude_config.create',
      ]);
      expect(events[1].details).toMatchObject({ etag: sha256(c.v2), ifMatch: item.etag, kind: c.kind });
      expect(events[2].details).toMatchObject({ etag: item.etag, size: Buffer.byteLength(c.v1) });
      // Etags, never content: no body text of either version is in the audit rows.
      for (const text of [c.v1, c.v2]) {
        const body = text.slice(text.lastIndexOf('---\n') + 4).trim();
        expect(JSON.stringify(events)).not.toContain(body);
      }
    },
  );

  const HOSTILE = [
    '../x',
    'a/b',
    '.',
    '..',
    '%2e%2e',
    'name\u0000',
    '\u0000',
    'x'.repeat(65),
    'x'.repeat(100_000),
    'Deploy',
    'dеploy',
    'ｄｅｐｌｏｙ',
    '../sentinel.txt',
    '../../sentinel',
    'sentinel.txt',
    'deploy.md',
    '',
    ' deploy',
    '-rf',
    'a\nb',
    '$(touch pwned)',
  ];

  it('refuses hostile names with VALIDATION_FAILED and never touches a file outside .claude/', async () => {
    const before = statSync(sentinel());
    const bodies: string[] = [];
    for (const [index, name] of HOSTILE.entries()) {
      for (const kind of ['COMMAND', 'SKILL', 'AGENT']) {
        const c = await create({ kind, name, content: 'x' });
        expect(c, `create ${kind} with hostile name #${index}`).toMatchObject({
          __typename: 'ValidationFailedError',
          code: 'VALIDATION_FAILED',
          issues: [{ path: 'name' }],
        });
        const u = await update({ kind, name, content: 'x' });
        expect(u.code).toBe('VALIDATION_FAILED');
        const d = await remove({ kind, name });
        expect(d.code).toBe('VALIDATION_FAILED');
        const g = await get(kind, name);
        expect(g.body.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
        bodies.push(JSON.stringify([c, u, d, g.body]));
      }
    }
    expect(bodies.join('')).not.toContain('sentinel secret');
    expect(readFileSync(sentinel(), 'utf8')).toBe('sentinel secret');
    expect(statSync(sentinel()).mtimeMs).toBe(before.mtimeMs);
    expect(existsSync(onDisk())).toBe(false);
    expect(readdirSync(env.workspace).filter((f) => !f.startsWith('.rdev'))).toEqual(['sentinel.txt']);
    const badProject = await call(CREATE, {
      projectName: '../demo',
      kind: 'COMMAND',
      name: 'x',
      content: 'x',
    });
    expect(badProject.code).toBe('NOT_FOUND');
  });

  it('refuses a .claude/commands that links out of the workspace, for reads and writes', async () => {
    mkdirSync(onDisk());
    symlinkSync(outside, onDisk('commands'));
    const listed = await list('COMMAND');
    expect(listed.body.errors?.[0]).toMatchObject({
      extensions: { code: 'CONFLICT', reason: 'symlink', path: '.claude/commands' },
    });
    expect(listed.body.errors[0].message).toMatch(/symbolic link/);
    const got = await get('COMMAND', 'secret');
    expect(got.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const results = [
      await create({ kind: 'COMMAND', name: 'secret', content: 'overwritten' }),
      await create({ kind: 'COMMAND', name: 'planted', content: 'planted' }),
      await update({ kind: 'COMMAND', name: 'secret', content: 'overwritten' }),
      await remove({ kind: 'COMMAND', name: 'secret' }),
    ];
    for (const r of results) expect(r).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
    expect(JSON.stringify([listed.body, got.body, results])).not.toContain('outside secret');
    expect(readdirSync(outside)).toEqual(['secret.md']);
    expect(readFileSync(join(outside, 'secret.md'), 'utf8')).toBe('outside secret');
    // Other kinds are unaffected.
    expect(
      (await create({ kind: 'AGENT', name: 'fine', content: '---\nname: fine\ndescription: ok\n---\n' }))
        .__typename,
    ).toBe('ClaudeConfigItemPayload');
  });

  it('reports an item that is a link without following it', async () => {
    mkdirSync(onDisk('commands'), { recursive: true });
    symlinkSync(join(outside, 'secret.md'), onDisk('commands', 'secret.md'));
    const [item] = (await list('COMMAND')).body.data.project.claudeConfigItems;
    expect(item).toMatchObject({ name: 'secret', content: null, etag: null, valid: false });
    expect(item.problems[0].message).toMatch(/symbolic link/);
    expect(await update({ kind: 'COMMAND', name: 'secret', content: 'x' })).toMatchObject({
      code: 'CONFLICT',
    });
    expect(readFileSync(join(outside, 'secret.md'), 'utf8')).toBe('outside secret');
  });

  it('stores content byte for byte: shell metacharacters, unicode, empty, exactly the limit', async () => {
    const shelly =
      '$(touch pwned) `touch pwned2` ; rm -rf / && echo $HOME | cat > x < y \'q\' "dq" \\ * ? [a] ~ # ! {a,b} %s %n\t\r\n\u00e9 \u{1F680} \u202e\n';
    const contents = {
      shelly,
      empty: '',
      limit: '\u00e9'.repeat(LIMIT / 2),
      crlf: '---\r\ndescription: x\r\n---\r\nbody\r\n',
    };
    for (const [name, content] of Object.entries(contents)) {
      const r = await create({ kind: 'COMMAND', name, content });
      expect(r.__typename, `${name}: ${JSON.stringify(r).slice(0, 300)}`).toBe('ClaudeConfigItemPayload');
      expect(r.item).toMatchObject({ size: Buffer.byteLength(content), etag: sha256(content) });
      expect(readFileSync(onDisk('commands', `${name}.md`))).toEqual(Buffer.from(content, 'utf8'));
      const got = (await get('COMMAND', name)).body.data.project.claudeConfigItem;
      expect(got.content).toBe(content);
      expect(got.etag).toBe(sha256(content));
    }
    expect(statSync(onDisk('commands', 'limit.md')).size).toBe(LIMIT);
    expect(existsSync(join(env.workspace, 'pwned'))).toBe(false);
    expect(existsSync(join(env.workspace, 'pwned2'))).toBe(false);
    if (env.fake) {
      // Content travels on stdin; the exec argv only carries fixed script text and parameters.
      const scripts = [READ_SCRIPT, WRITE_SCRIPT, REMOVE_SCRIPT];
      for (const { command } of env.fake.execs) {
        expect(command.slice(0, 2)).toEqual(['sh', '-c']);
        expect(scripts).toContain(command[2]);
        expect(command[3]).toBe(SCRIPT_NAME);
      }
      const argvs = env.fake.execs.map((e) => e.command.join('\u0001'));
      expect(argvs.length).toBeGreaterThan(0);
      expect(argvs.some((a) => a.includes('touch pwned') || a.includes('\u00e9\u00e9'))).toBe(false);
    }
  });

  it('refuses NUL characters, broken unicode and one byte over the limit, writing nothing', async () => {
    const nul = await create({ kind: 'COMMAND', name: 'nul', content: 'text\u0000more' });
    expect(nul).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: 'content' }] });
    expect(nul.issues[0].message).toMatch(/NUL/);
    const surrogate = await create({ kind: 'COMMAND', name: 'surrogate', content: 'a\ud800b' });
    expect(surrogate).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: 'content' }] });
    const over = await create({ kind: 'COMMAND', name: 'over', content: `${'\u00e9'.repeat(LIMIT / 2)}x` });
    expect(over).toMatchObject({ __typename: 'PayloadTooLargeError', code: 'PAYLOAD_TOO_LARGE' });
    expect(over.message).toMatch(/4097 bytes.*4096/);
    expect(existsSync(onDisk())).toBe(false);

    const ok = await create({ kind: 'COMMAND', name: 'over', content: 'small' });
    expect(ok.__typename).toBe('ClaudeConfigItemPayload');
    const bigUpdate = await update({
      kind: 'COMMAND',
      name: 'over',
      content: 'x'.repeat(LIMIT + 1),
      ifMatch: ok.item.etag,
    });
    expect(bigUpdate.code).toBe('PAYLOAD_TOO_LARGE');
    const nulUpdate = await update({ kind: 'COMMAND', name: 'over', content: '\u0000' });
    expect(nulUpdate.code).toBe('VALIDATION_FAILED');
    expect(readFileSync(onDisk('commands', 'over.md'), 'utf8')).toBe('small');
    expect(readdirSync(onDisk('commands'))).toEqual(['over.md']);
  });

  it('saves valid YAML with rule problems reported, and refuses YAML that does not parse', async () => {
    const content = '---\nname: reviewer\nmodel: gpt 4!\ncolor: mauve\nflavour: x\n---\nReview.\n';
    const saved = await create({ kind: 'AGENT', name: 'code-reviewer', content });
    expect(saved.__typename).toBe('ClaudeConfigItemPayload');
    expect(saved.item).toMatchObject({
      valid: false,
      content,
      frontmatter: { name: 'reviewer', model: 'gpt 4!', color: 'mauve', flavour: 'x' },
      body: 'Review.\n',
    });
    expect(saved.item.problems.map((p: any) => `${p.severity} ${p.field} ${p.line}`)).toEqual([
      'ERROR description null',
      'ERROR model 3',
      'WARNING color 4',
      'WARNING flavour 5',
      'ERROR name 2',
    ]);
    expect(readFileSync(onDisk('agents', 'code-reviewer.md'), 'utf8')).toBe(content);
    const listed = (await list('AGENT')).body.data.project.claudeConfigItems;
    expect(listed[0].problems).toEqual(saved.item.problems);

    const noFrontmatter = await create({ kind: 'SKILL', name: 'bare', content: '# no frontmatter' });
    expect(noFrontmatter.item.problems).toMatchObject([{ severity: 'ERROR', line: 1 }]);

    const broken = await create({
      kind: 'COMMAND',
      name: 'broken',
      content: '---\ndescription: fine\nallowed-tools: [Read, Grep\n---\nbody',
    });
    expect(broken).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: 'content' }] });
    expect(broken.issues[0].message).toMatch(/frontmatter is not valid YAML: line [345]: \S/);
    const unterminated = await create({ kind: 'COMMAND', name: 'broken', content: '---\ndescription: x\n' });
    expect(unterminated.issues[0].message).toMatch(/line 1: .*closing "---"/);
    const duplicate = await update({
      kind: 'AGENT',
      name: 'code-reviewer',
      content: '---\nname: a\nname: b\n---\n',
    });
    expect(duplicate.issues[0].message).toMatch(/line 3: .*unique/i);
    expect(existsSync(onDisk('commands', 'broken.md'))).toBe(false);
    expect(readFileSync(onDisk('agents', 'code-reviewer.md'), 'utf8')).toBe(content);
  });

  it('needs config:read and config:write, and a grant of the project', async () => {
    const reader = await t.createKey({ scopes: ['PROJECTS_READ', 'CONFIG_READ'] });
    const writer = await t.createKey({ scopes: ['PROJECTS_READ', 'CONFIG_WRITE'] });
    const projectsOnly = await t.createKey({ scopes: ['PROJECTS_READ'] });
    const otherProject = await t.createKey({
      scopes: ['CONFIG_READ', 'CONFIG_WRITE'],
      projectNames: ['other'],
    });
    const configOnly = await t.createKey({ scopes: ['CONFIG_READ', 'CONFIG_WRITE'] });

    const written = await create({ kind: 'COMMAND', name: 'hello', content: 'Hi' }, writer.key);
    expect(written.__typename).toBe('ClaudeConfigItemPayload');
    expect((await list('COMMAND', reader.key)).body.data.project.claudeConfigItems).toHaveLength(1);
    expect(await create({ kind: 'COMMAND', name: 'nope', content: 'x' }, reader.key)).toMatchObject({
      __typename: 'ForbiddenError',
      code: 'FORBIDDEN',
    });
    expect(await remove({ kind: 'COMMAND', name: 'hello' }, reader.key)).toMatchObject({ code: 'FORBIDDEN' });
    const denied = await list('COMMAND', projectsOnly.key);
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await create({ kind: 'COMMAND', name: 'nope', content: 'x' }, otherProject.key)).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await remove({ kind: 'COMMAND', name: 'hello' }, otherProject.key)).toMatchObject({
      code: 'NOT_FOUND',
    });
    // Reading config does not also need projects:read; the item's id leads to it.
    const node = await t.graphql(
      `query($id: ID!) { node(id: $id) { ... on ClaudeConfigItem { content } } }`,
      { id: written.item.id },
      t.auth(configOnly.key),
    );
    expect(node.body.data.node).toEqual({ content: 'Hi' });
    const hidden = await t.graphql(
      `query($id: ID!) { node(id: $id) { ... on ClaudeConfigItem { content } } }`,
      { id: written.item.id },
      t.auth(otherProject.key),
    );
    expect(hidden.body.data.node).toBeNull();
    expect(readdirSync(onDisk('commands'))).toEqual(['hello.md']);
  });
});

describe('Claude Code config when the Kubernetes API fails', () => {
  it('answers RUNTIME_UNAVAILABLE, stops calling a failing API once the breaker opens, and recovers', async () => {
    const kubernetes = RUNTIMES.find((r) => r.name === 'kubernetes')!;
    const env = await kubernetes.start({
      RDEV_KUBE_BREAKER_FAILURES: '3',
      RDEV_KUBE_BREAKER_OPEN_MS: '1000',
    });
    try {
      const list = async () =>
        (await env.t.graphql(LIST, { project: 'demo', kind: 'COMMAND' }, env.t.auth())).body;
      const create = async (name: string) => {
        const { body } = await env.t.graphql(
          CREATE,
          { input: { projectName: 'demo', kind: 'COMMAND', name, content: 'x' } },
          env.t.auth(),
        );
        return body.data.createClaudeConfigItem;
      };
      expect((await list()).data.project.claudeConfigItems).toEqual([]);
      env.fake!.faults.http500 = true;
      const execs = () => env.fake!.requests.count({ verb: 'exec' });
      const before = execs();
      for (let i = 0; i < 3; i++) {
        expect((await list()).errors?.[0]?.extensions?.code).toBe('RUNTIME_UNAVAILABLE');
      }
      expect(await create('failing')).toMatchObject({
        __typename: 'RuntimeUnavailableError',
        code: 'RUNTIME_UNAVAILABLE',
      });
      expect(execs() - before).toBeGreaterThanOrEqual(3);
      // Open: refused at once, without another exec reaching the API.
      const whileOpen = execs();
      for (let i = 0; i < 3; i++) {
        expect((await list()).errors?.[0]?.extensions?.code).toBe('RUNTIME_UNAVAILABLE');
      }
      expect(execs()).toBe(whileOpen);
      expect(existsSync(join(env.workspace, '.claude', 'commands', 'failing.md'))).toBe(false);
      env.fake!.faults.http500 = false;
      await new Promise((r) => setTimeout(r, 1_200));
      expect(await create('recovered')).toMatchObject({ __typename: 'ClaudeConfigItemPayload' });
      expect((await list()).data.project.claudeConfigItems.map((i: { name: string }) => i.name)).toEqual([
        'recovered',
      ]);
    } finally {
      await env.close();
    }
  });
});
