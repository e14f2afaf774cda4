import {
  type ClaudeConfigLayout,
  claudeConfigNameProblem,
  ETAG_COMPARE_BYTES,
  isClaudeConfigName,
  SKILL_TREE_MAX_DEPTH,
  unsafeClaudePathError,
} from '../../domain/claude-config.js';
import { RuntimeUnavailableError, ValidationError } from '../../domain/errors.js';
import type { ExecTransport } from '../../ports/exec-transport.js';
import type {
  ReadLimits,
  RemoveOutcome,
  StoredConfigItem,
  StoredEntryType,
  StoredTreeEntry,
  UnreadReason,
  WorkspaceFiles,
  WriteExpectation,
  WriteOutcome,
} from '../../ports/workspace-files.js';
import type { WorkspaceTarget } from '../../ports/workspace-runtime.js';
import { READ_SCRIPT, REMOVE_SCRIPT, SCRIPT_NAME, WRITE_SCRIPT } from './workspace-files-scripts.js';

export interface KubernetesWorkspaceFilesDeps {
  /**
   * How scripts reach the workspace: the Kubernetes exec transport (whose guard is the API circuit
   * breaker). Any transport works, which is how the scripts are tested on dash, bash and busybox.
   */
  transport: ExecTransport;
  /** Bound on one script run. Default 30 s. */
  timeoutMs?: number;
}

const ENTRY_TYPES = new Set<StoredEntryType>(['file', 'symlink', 'other']);
const UNREAD = new Set<UnreadReason>(['too-large', 'budget', 'hard-linked', 'not-a-file']);
const TREE_TYPES = new Set<StoredTreeEntry['type']>(['file', 'directory', 'symlink', 'other']);
const SMALL_ANSWER_BYTES = 64 * 1024;

/**
 * Claude Code items inside pods: each call is one exec of a fixed sh script
 * (`workspace-files-scripts.ts`) with paths as positional parameters and content on stdin, so the
 * same symlink and size rules hold in the pod as locally.
 */
export class KubernetesWorkspaceFiles implements WorkspaceFiles {
  private readonly transport: ExecTransport;
  private readonly timeoutMs: number;

  constructor(deps: KubernetesWorkspaceFilesDeps) {
    this.transport = deps.transport;
    this.timeoutMs = deps.timeoutMs ?? 30_000;
  }

  list(target: WorkspaceTarget, layout: ClaudeConfigLayout, limits: ReadLimits): Promise<StoredConfigItem[]> {
    return this.readItems(target, layout, limits, null);
  }

  async read(
    target: WorkspaceTarget,
    layout: ClaudeConfigLayout,
    name: string,
    limits: ReadLimits,
  ): Promise<StoredConfigItem | null> {
    checkName(layout, name);
    const items = await this.readItems(target, layout, limits, name);
    return items.find((item) => item.name === name) ?? null;
  }

  async write(
    target: WorkspaceTarget,
    layout: ClaudeConfigLayout,
    name: string,
    content: Uint8Array,
    expect: WriteExpectation,
  ): Promise<WriteOutcome> {
    checkName(layout, name);
    const etag = expect.mode === 'replace' && expect.etag !== null ? expect.etag : '-';
    const args = [name, content.length, expect.mode, etag, ETAG_COMPARE_BYTES];
    const answer = await this.run(target, layout, WRITE_SCRIPT, args, SMALL_ANSWER_BYTES, content);
    const words = firstLine(target, layout, answer);
    switch (words[0]) {
      case 'written': {
        const size = Number(words[1]);
        const seconds = Number(words[2]);
        if (!Number.isSafeInteger(size) || !Number.isSafeInteger(seconds)) break;
        return { status: 'written', size, modifiedAt: new Date(seconds * 1000) };
      }
      case 'exists':
      case 'missing':
      case 'stale':
        return { status: words[0] };
      case 'not-a-file':
        return { status: 'not-a-file', type: words[1] === 'symlink' ? 'symlink' : 'other' };
    }
    throw unexpected(target, 'write', answer);
  }

  async remove(
    target: WorkspaceTarget,
    layout: ClaudeConfigLayout,
    name: string,
    etag: string | null,
  ): Promise<RemoveOutcome> {
    checkName(layout, name);
    const args = [name, etag ?? '-', ETAG_COMPARE_BYTES];
    const answer = await this.run(target, layout, REMOVE_SCRIPT, args, SMALL_ANSWER_BYTES);
    const words = firstLine(target, layout, answer);
    switch (words[0]) {
      case 'removed':
      case 'missing':
      case 'stale':
        return { status: words[0] };
      case 'not-a-file':
        return { status: 'not-a-file', type: words[1] === 'symlink' ? 'symlink' : 'other' };
    }
    throw unexpected(target, 'remove', answer);
  }

  private async readItems(
    target: WorkspaceTarget,
    layout: ClaudeConfigLayout,
    limits: ReadLimits,
    name: string | null,
  ): Promise<StoredConfigItem[]> {
    const args: Array<string | number> = [
      limits.maxFileBytes,
      limits.maxTotalBytes,
      limits.maxTreeEntries,
      SKILL_TREE_MAX_DEPTH,
    ];
    if (name !== null) args.push(name);
    // od prints about three characters per byte; tree lines and headers come on top.
    const answerLimit = (limits.maxTotalBytes + limits.maxFileBytes + 1) * 4 + 1024 * 1024;
    const answer = await this.run(target, layout, READ_SCRIPT, args, answerLimit);
    const words = firstLine(target, layout, answer);
    if (words[0] === 'absent') return [];
    if (words[0] !== 'ok') throw unexpected(target, 'read', answer);
    const items = parseItems(layout, answer, limits).filter((item) =>
      isClaudeConfigName(layout.kind, item.name),
    );
    return items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Runs one script in the workspace and returns its stdout; any failure is RUNTIME_UNAVAILABLE. */
  private async run(
    target: WorkspaceTarget,
    layout: ClaudeConfigLayout,
    script: string,
    args: ReadonlyArray<string | number>,
    answerLimit: number,
    stdin?: Uint8Array,
  ): Promise<string> {
    const argv = [
      'sh',
      '-c',
      script,
      SCRIPT_NAME,
      target.workspacePath,
      layout.folder,
      layout.form,
      ...args.map(String),
    ];
    // execve and the exec API both end arguments at NUL; a workspace path with one is not usable.
    if (argv.some((arg) => arg.includes('\0')))
      throw new RangeError('arguments cannot contain NUL characters');
    const proc = await this.transport.exec(target, argv, stdin ? { stdin } : {});
    let timedOut = false;
    let tooLong = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.close();
    }, this.timeoutMs);
    try {
      const parts: Buffer[] = [];
      let size = 0;
      for await (const chunk of proc.stdout) {
        size += chunk.length;
        if (size > answerLimit) {
          tooLong = true;
          proc.close();
          break;
        }
        parts.push(Buffer.from(chunk));
      }
      const outcome = await proc.done;
      const where = { project: target.projectName, folder: layout.folder };
      if (tooLong) {
        throw new RuntimeUnavailableError(
          `Reading .claude/${layout.folder} in project "${target.projectName}" returned more than ${answerLimit} bytes.`,
          where,
        );
      }
      if (outcome.kind !== 'exited' || outcome.exitCode !== 0) {
        const why = timedOut
          ? `no answer within ${this.timeoutMs} ms`
          : outcome.kind === 'exited'
            ? `exit code ${outcome.exitCode}: ${excerpt(outcome.stderr)}`
            : `${outcome.message} ${excerpt(outcome.stderr)}`;
        throw new RuntimeUnavailableError(
          `Could not reach .claude/${layout.folder} in project "${target.projectName}" (${why}).`,
          where,
        );
      }
      return Buffer.concat(parts).toString('utf8');
    } finally {
      clearTimeout(timer);
      proc.close();
    }
  }
}

/** The first line's words, after turning the answers every script shares into errors. */
function firstLine(target: WorkspaceTarget, layout: ClaudeConfigLayout, answer: string): string[] {
  const end = answer.indexOf('\n');
  const words = (end === -1 ? answer : answer.slice(0, end)).split(' ');
  if (words[0] === 'noworkspace') {
    throw new RuntimeUnavailableError(
      `The workspace folder of project "${target.projectName}" does not exist: ${target.workspacePath}`,
      { project: target.projectName },
    );
  }
  if (words[0] === 'refused') {
    const path = words.slice(2).join(' ');
    const reason = words[1] === 'symlink' ? 'symlink' : 'not-a-folder';
    if (path === '.claude' || path === `.claude/${layout.folder}`) {
      throw unsafeClaudePathError(target.projectName, path, reason);
    }
    throw unexpected(target, 'check', answer);
  }
  return words;
}

/** Parses the `D`/hex/`.`/`T` blocks after the `ok` line of the read script. */
function parseItems(layout: ClaudeConfigLayout, answer: string, limits: ReadLimits): StoredConfigItem[] {
  const lines = answer.split('\n');
  const items: StoredConfigItem[] = [];
  let i = 1;
  while (i < lines.length) {
    const line = lines[i++]!;
    if (!line.startsWith('D ')) continue;
    const [, name = '', type = '', size = '', mtime = '', state = ''] = line.split(' ');
    let content: Buffer | null = null;
    if (state === 'content') {
      const hex: string[] = [];
      while (i < lines.length && lines[i] !== '.') hex.push(lines[i++]!);
      i++;
      content = Buffer.from(hex.join('').replace(/\s+/g, ''), 'hex');
    }
    const tree: StoredTreeEntry[] = [];
    while (i < lines.length && lines[i]!.startsWith('T ')) {
      const entry = parseTreeLine(lines[i++]!);
      if (entry) tree.push(entry);
    }
    const bytes = Number(size);
    const seconds = Number(mtime);
    if (
      !ENTRY_TYPES.has(type as StoredEntryType) ||
      !Number.isSafeInteger(bytes) ||
      !Number.isSafeInteger(seconds)
    ) {
      continue;
    }
    let unread: UnreadReason | null =
      state === 'content' ? null : UNREAD.has(state as UnreadReason) ? (state as UnreadReason) : 'not-a-file';
    if (content && content.length > limits.maxFileBytes) {
      content = null;
      unread = 'too-large';
    }
    const folderItem = layout.form === 'folder' && (tree.length > 0 || type !== 'symlink');
    tree.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    items.push({
      name,
      type: type as StoredEntryType,
      size: content ? content.length : bytes,
      modifiedAt: new Date(seconds * 1000),
      content,
      unread,
      files: folderItem ? tree.slice(0, limits.maxTreeEntries) : null,
      filesTruncated: folderItem && tree.length > limits.maxTreeEntries,
    });
  }
  return items;
}

function parseTreeLine(line: string): StoredTreeEntry | null {
  const match = /^T (\S+) (\d+) (.+)$/.exec(line);
  if (!match) return null;
  const [, type, size, path] = match as unknown as [string, StoredTreeEntry['type'], string, string];
  if (!TREE_TYPES.has(type)) return null;
  if (path.split('/').some((s) => s === '' || s === '.' || s === '..')) return null;
  return { path, type, size: Number(size) };
}

function checkName(layout: ClaudeConfigLayout, name: string): void {
  const problem = claudeConfigNameProblem(layout.kind, name);
  if (problem) throw new ValidationError([{ path: 'name', message: problem }]);
}

function unexpected(target: WorkspaceTarget, op: string, answer: string): RuntimeUnavailableError {
  return new RuntimeUnavailableError(
    `The .claude ${op} script in project "${target.projectName}" answered unexpectedly: ${excerpt(answer)}`,
    { project: target.projectName },
  );
}

function excerpt(text: string): string {
  const line = text.trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line || '(nothing)';
}
