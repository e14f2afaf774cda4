/**
 * The WorkspaceFiles contract on every implementation: node:fs locally, and the exec scripts over
 * the Kubernetes exec API (v5 and v4, against the fake API server) and over local processes with
 * dash and with nothing but busybox on PATH, as in a minimal pod.
 */
import { execFileSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KubernetesExecTransport } from '../../src/adapters/kubernetes/kubernetes-exec-transport.js';
import { KubernetesWorkspaceFiles } from '../../src/adapters/kubernetes/kubernetes-workspace-files.js';
import { LocalExecTransport } from '../../src/adapters/local/local-exec-transport.js';
import { LocalWorkspaceFiles } from '../../src/adapters/local/local-workspace-files.js';
import { claudeConfigEtag, claudeConfigLayout } from '../../src/domain/claude-config.js';
import { DomainError } from '../../src/domain/errors.js';
import type { ReadLimits, WorkspaceFiles } from '../../src/ports/workspace-files.js';
import type { WorkspaceTarget } from '../../src/ports/workspace-runtime.js';
import { type FakeKubeApiServer, startFakeKubeApiServer } from '../support/fake-kube-apiserver.js';

const COMMAND = claudeConfigLayout('COMMAND');
const SKILL = claudeConfigLayout('SKILL');
const LIMITS: ReadLimits = { maxFileBytes: 1000, maxTotalBytes: 2500, maxTreeEntries: 5 };
const BUSYBOX_APPLETS = [
  'sh',
  'stat',
  'head',
  'od',
  'find',
  'wc',
  'sha256sum',
  'ln',
  'mv',
  'rm',
  'mkdir',
  'cat',
];

interface Variant {
  name: string;
  start(
    root: string,
  ): Promise<{ files: WorkspaceFiles; workspace: string; target: WorkspaceTarget; close(): Promise<void> }>;
}

function findExecutable(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {}
  }
  return null;
}

const kube =
  (protocols?: string[]): Variant['start'] =>
  async (root) => {
    const fake: FakeKubeApiServer = await startFakeKubeApiServer({
      rootDir: join(root, 'pods'),
      execProtocols: protocols,
    });
    fake.createPod({ name: 'ws-0' });
    const workspace = fake.podDir('ws-0');
    const files = new KubernetesWorkspaceFiles({
      transport: new KubernetesExecTransport({ kubeConfig: fake.kubeConfig() }),
    });
    return {
      files,
      workspace,
      target: { projectName: 'demo', workspacePath: workspace, podName: 'ws-0', namespace: fake.namespace },
      close: () => fake.close(),
    };
  };

const processes =
  (shell: string, onlyBusybox: boolean): Variant['start'] =>
  async (root) => {
    const bin = join(root, 'bin');
    mkdirSync(bin);
    const binary = findExecutable(shell)!;
    for (const applet of onlyBusybox ? BUSYBOX_APPLETS : ['sh']) symlinkSync(binary, join(bin, applet));
    const workspace = join(root, 'workspace');
    mkdirSync(workspace);
    const PATH = onlyBusybox ? bin : `${bin}${delimiter}${process.env.PATH}`;
    const files = new KubernetesWorkspaceFiles({
      transport: new LocalExecTransport({ env: { PATH, LANG: 'C' } }),
    });
    return {
      files,
      workspace,
      target: { projectName: 'demo', workspacePath: workspace },
      close: async () => {},
    };
  };

const VARIANTS: Variant[] = [
  {
    name: 'node:fs',
    start: async (root) => {
      const workspace = join(root, 'workspace');
      mkdirSync(workspace);
      return {
        files: new LocalWorkspaceFiles(),
        workspace,
        target: { projectName: 'demo', workspacePath: workspace },
        close: async () => {},
      };
    },
  },
  { name: 'exec over Kubernetes v5', start: kube() },
  { name: 'exec over Kubernetes v4', start: kube(['v4.channel.k8s.io']) },
  ...(findExecutable('dash') ? [{ name: 'exec with dash', start: processes('dash', false) }] : []),
  ...(findExecutable('busybox')
    ? [{ name: 'exec with only busybox', start: processes('busybox', true) }]
    : []),
];

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return `${error.code} ${String(error.details.reason ?? '')}`.trim();
    throw error;
  }
  return 'no error';
}

describe.each(VARIANTS)('workspace files: $name', (variant) => {
  let root: string;
  let env: Awaited<ReturnType<Variant['start']>>;
  let files: WorkspaceFiles;
  let target: WorkspaceTarget;
  let outside: string;
  const claude = (...parts: string[]) => join(env.workspace, '.claude', ...parts);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'rdev-wsfiles-'));
    env = await variant.start(root);
    files = env.files;
    target = env.target;
    outside = join(root, 'outside');
    mkdirSync(outside);
  });

  afterAll(async () => {
    await env.close();
    rmSync(root, { recursive: true, force: true });
  });

  beforeEach(() => {
    rmSync(join(env.workspace, '.claude'), { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.md'), 'outside secret');
  });

  it('creates, lists, reads, replaces with the right etag, refuses a stale one and removes', async () => {
    const first = Buffer.from(
      '---\ndescription: "$(rm -rf /)"\n---\n`id`; echo $HOME \\ \' " | & > < * ? [ ] \n\u00e9\0\xff',
      'latin1',
    );
    expect(await files.list(target, COMMAND, LIMITS)).toEqual([]);
    const created = await files.write(target, COMMAND, 'deploy', first, { mode: 'create' });
    expect(created).toMatchObject({ status: 'written', size: first.length });
    expect(readFileSync(claude('commands', 'deploy.md'))).toEqual(first);

    const listed = await files.list(target, COMMAND, LIMITS);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      name: 'deploy',
      type: 'file',
      size: first.length,
      unread: null,
      files: null,
    });
    expect(Buffer.from(listed[0]!.content!)).toEqual(first);
    const read = await files.read(target, COMMAND, 'deploy', LIMITS);
    expect(Buffer.from(read!.content!)).toEqual(first);
    expect(
      Math.abs(read!.modifiedAt.getTime() - statSync(claude('commands', 'deploy.md')).mtimeMs),
    ).toBeLessThan(1500);

    const etag = claudeConfigEtag(first);
    const second = Buffer.from('second');
    expect(await files.write(target, COMMAND, 'deploy', second, { mode: 'replace', etag })).toMatchObject({
      status: 'written',
      size: 6,
    });
    expect(
      await files.write(target, COMMAND, 'deploy', Buffer.from('third'), { mode: 'replace', etag }),
    ).toEqual({
      status: 'stale',
    });
    expect(readFileSync(claude('commands', 'deploy.md'), 'utf8')).toBe('second');
    expect(await files.remove(target, COMMAND, 'deploy', etag)).toEqual({ status: 'stale' });
    expect(await files.remove(target, COMMAND, 'deploy', claudeConfigEtag(second))).toEqual({
      status: 'removed',
    });
    expect(await files.read(target, COMMAND, 'deploy', LIMITS)).toBeNull();
    expect(existsSync(claude('commands', 'deploy.md'))).toBe(false);
    // No temporary file is left behind.
    expect(execFileSync('ls', ['-A', claude('commands')], { encoding: 'utf8' })).toBe('');
  });

  it('answers exists, missing and empty instead of overwriting or failing', async () => {
    expect(await files.write(target, COMMAND, 'x', Buffer.alloc(0), { mode: 'replace', etag: null })).toEqual(
      {
        status: 'missing',
      },
    );
    expect(existsSync(claude())).toBe(false);
    expect(await files.remove(target, COMMAND, 'x', null)).toEqual({ status: 'missing' });
    expect(await files.write(target, COMMAND, 'x', Buffer.alloc(0), { mode: 'create' })).toMatchObject({
      status: 'written',
      size: 0,
    });
    expect(await files.write(target, COMMAND, 'x', Buffer.from('new'), { mode: 'create' })).toEqual({
      status: 'exists',
    });
    expect(readFileSync(claude('commands', 'x.md'), 'utf8')).toBe('');
    const empty = await files.read(target, COMMAND, 'x', LIMITS);
    expect(empty).toMatchObject({ size: 0, unread: null });
    expect(empty!.content).toHaveLength(0);
    // Files that are not items are not listed.
    writeFileSync(claude('commands', 'README.txt'), 'x');
    writeFileSync(claude('commands', 'Upper.md'), 'x');
    writeFileSync(claude('commands', '.hidden.md'), 'x');
    expect((await files.list(target, COMMAND, LIMITS)).map((i) => i.name)).toEqual(['x']);
  });

  it.each(['.claude/commands', '.claude'])(
    'refuses everything when %s is a link out of the workspace',
    async (path) => {
      if (path === '.claude') symlinkSync(outside, join(env.workspace, '.claude'));
      else {
        mkdirSync(claude());
        symlinkSync(outside, claude('commands'));
      }
      const expected = 'CONFLICT symlink';
      expect(await codeOf(files.list(target, COMMAND, LIMITS))).toBe(expected);
      expect(await codeOf(files.read(target, COMMAND, 'secret', LIMITS))).toBe(expected);
      expect(await codeOf(files.write(target, COMMAND, 'secret', Buffer.from('x'), { mode: 'create' }))).toBe(
        expected,
      );
      expect(
        await codeOf(
          files.write(target, COMMAND, 'secret', Buffer.from('x'), { mode: 'replace', etag: null }),
        ),
      ).toBe(expected);
      expect(await codeOf(files.write(target, COMMAND, 'new', Buffer.from('x'), { mode: 'create' }))).toBe(
        expected,
      );
      expect(await codeOf(files.remove(target, COMMAND, 'secret', null))).toBe(expected);
      expect(readFileSync(join(outside, 'secret.md'), 'utf8')).toBe('outside secret');
      expect(execFileSync('ls', ['-A', outside], { encoding: 'utf8' })).toBe('secret.md\n');
    },
  );

  it('refuses a .claude/commands that is a file', async () => {
    mkdirSync(claude());
    writeFileSync(claude('commands'), 'not a folder');
    expect(await codeOf(files.list(target, COMMAND, LIMITS))).toBe('CONFLICT not-a-folder');
    expect(await codeOf(files.write(target, COMMAND, 'x', Buffer.from('x'), { mode: 'create' }))).toBe(
      'CONFLICT not-a-folder',
    );
  });

  it('reports item links, FIFOs and hard links without reading or writing through them', async () => {
    mkdirSync(claude('commands'), { recursive: true });
    symlinkSync(join(outside, 'secret.md'), claude('commands', 'link.md'));
    execFileSync('mkfifo', [claude('commands', 'pipe.md')]);
    linkSync(join(outside, 'secret.md'), claude('commands', 'hard.md'));
    const listed = await files.list(target, COMMAND, LIMITS);
    expect(listed.map((i) => [i.name, i.type, i.unread, i.content])).toEqual([
      ['hard', 'file', 'hard-linked', null],
      ['link', 'symlink', 'not-a-file', null],
      ['pipe', 'other', 'not-a-file', null],
    ]);
    expect(await files.read(target, COMMAND, 'link', LIMITS)).toMatchObject({
      type: 'symlink',
      content: null,
    });
    expect(
      await files.write(target, COMMAND, 'link', Buffer.from('x'), { mode: 'replace', etag: null }),
    ).toEqual({
      status: 'not-a-file',
      type: 'symlink',
    });
    expect(await files.write(target, COMMAND, 'link', Buffer.from('x'), { mode: 'create' })).toEqual({
      status: 'not-a-file',
      type: 'symlink',
    });
    expect(await files.remove(target, COMMAND, 'link', null)).toEqual({
      status: 'not-a-file',
      type: 'symlink',
    });
    expect(
      await files.write(target, COMMAND, 'pipe', Buffer.from('x'), { mode: 'replace', etag: null }),
    ).toEqual({
      status: 'not-a-file',
      type: 'other',
    });
    expect(readFileSync(join(outside, 'secret.md'), 'utf8')).toBe('outside secret');
  });

  it('bounds reads: files over the limit and past the listing budget come without content', async () => {
    mkdirSync(claude('commands'), { recursive: true });
    writeFileSync(claude('commands', 'a.md'), 'a'.repeat(1000));
    writeFileSync(claude('commands', 'b.md'), 'b'.repeat(1001));
    writeFileSync(claude('commands', 'c.md'), 'c'.repeat(900));
    writeFileSync(claude('commands', 'd.md'), 'd'.repeat(700));
    writeFileSync(claude('commands', 'e.md'), 'e'.repeat(10));
    const listed = await files.list(target, COMMAND, LIMITS);
    expect(listed.map((i) => [i.name, i.size, i.unread, i.content?.length ?? null])).toEqual([
      ['a', 1000, null, 1000],
      ['b', 1001, 'too-large', null],
      ['c', 900, null, 900],
      ['d', 700, 'budget', null],
      ['e', 10, null, 10],
    ]);
    expect((await files.read(target, COMMAND, 'd', LIMITS))?.content).toHaveLength(700);
  });

  it('keeps skills as folders: creates them, lists their files, removes them whole', async () => {
    const text = Buffer.from('---\nname: pdf\ndescription: PDFs\n---\n');
    expect(await files.write(target, SKILL, 'pdf', text, { mode: 'create' })).toMatchObject({
      status: 'written',
    });
    mkdirSync(claude('skills', 'pdf', 'scripts', 'deep', 'deeper', 'deepest'), { recursive: true });
    writeFileSync(claude('skills', 'pdf', 'scripts', 'extract.py'), 'print(1)\n');
    symlinkSync(outside, claude('skills', 'pdf', 'escape'));
    mkdirSync(claude('skills', 'not-a-skill'));
    const [skill, ...others] = await files.list(target, SKILL, { ...LIMITS, maxTreeEntries: 100 });
    expect(others).toEqual([]);
    expect(skill).toMatchObject({ name: 'pdf', type: 'file', filesTruncated: false });
    expect(Buffer.from(skill!.content!)).toEqual(text);
    expect(skill!.files!.map((f) => `${f.type} ${f.path}`)).toEqual([
      `file SKILL.md`,
      'symlink escape',
      'directory scripts',
      'directory scripts/deep',
      'directory scripts/deep/deeper',
      'directory scripts/deep/deeper/deepest',
      'file scripts/extract.py',
    ]);
    const few = await files.read(target, SKILL, 'pdf', { ...LIMITS, maxTreeEntries: 2 });
    expect(few).toMatchObject({ filesTruncated: true });
    expect(few!.files).toHaveLength(2);

    const etag = claudeConfigEtag(text);
    expect(
      await files.write(target, SKILL, 'pdf', Buffer.from('v2'), { mode: 'replace', etag }),
    ).toMatchObject({
      status: 'written',
    });
    expect(await files.remove(target, SKILL, 'pdf', etag)).toEqual({ status: 'stale' });
    expect(await files.remove(target, SKILL, 'pdf', null)).toEqual({ status: 'removed' });
    expect(existsSync(claude('skills', 'pdf'))).toBe(false);
    expect(execFileSync('ls', ['-A', claude('skills')], { encoding: 'utf8' })).toBe('not-a-skill\n');
    expect(readFileSync(join(outside, 'secret.md'), 'utf8')).toBe('outside secret');
  });

  it('reports a skill folder that is a link, and never follows it', async () => {
    mkdirSync(claude('skills'), { recursive: true });
    writeFileSync(join(outside, 'SKILL.md'), '---\nname: evil\n---\n');
    symlinkSync(outside, claude('skills', 'evil'));
    const [item] = await files.list(target, SKILL, LIMITS);
    expect(item).toMatchObject({ name: 'evil', type: 'symlink', content: null, files: null });
    expect(
      await files.write(target, SKILL, 'evil', Buffer.from('x'), { mode: 'replace', etag: null }),
    ).toEqual({
      status: 'not-a-file',
      type: 'symlink',
    });
    expect(await files.remove(target, SKILL, 'evil', null)).toEqual({
      status: 'not-a-file',
      type: 'symlink',
    });
    expect(readFileSync(join(outside, 'SKILL.md'), 'utf8')).toBe('---\nname: evil\n---\n');
    expect(existsSync(join(outside, 'secret.md'))).toBe(true);
  });
});
