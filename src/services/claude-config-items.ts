import {
  type ClaudeConfigFile,
  type ClaudeConfigItem,
  type ClaudeConfigKind,
  type ClaudeConfigProblem,
  claudeConfigEtag,
  claudeConfigLayout,
  claudeConfigPath,
} from '../domain/claude-config.js';
import type { StoredConfigItem, StoredTreeEntry } from '../ports/workspace-files.js';
import { type ParsedClaudeConfigDocument, parseClaudeConfigDocument } from './claude-config-document.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Turns what the workspace holds into an item: decodes and parses the bytes, reports what is off. */
export function storedToItem(
  projectName: string,
  kind: ClaudeConfigKind,
  stored: StoredConfigItem,
  limits: { maxFileBytes: number; listMaxBytes: number },
): ClaudeConfigItem {
  const base = {
    projectName,
    kind,
    name: stored.name,
    path: claudeConfigPath(kind, stored.name),
    size: stored.size,
    modifiedAt: stored.modifiedAt,
    files: stored.files ? treeFiles(stored.files) : null,
    filesTruncated: stored.filesTruncated,
  };
  const unread = (message: string, etag: string | null = null): ClaudeConfigItem => ({
    ...base,
    content: null,
    body: null,
    frontmatter: null,
    etag,
    problems: [{ severity: 'ERROR', field: null, line: null, message }],
  });
  if (!stored.content) {
    switch (stored.unread) {
      case 'too-large':
        return unread(
          `${base.path} is ${stored.size} bytes, more than the ${limits.maxFileBytes}-byte limit; it was not read`,
        );
      case 'budget':
        return unread(
          `not read: this listing reached its ${limits.listMaxBytes}-byte limit; ask for the item by name`,
        );
      case 'hard-linked':
        return unread(
          `${base.path} has more than one hard link, so it may be another file's alias; rdev does not read it`,
        );
      default: {
        const folderLink = claudeConfigLayout(kind).form === 'folder' && stored.files === null;
        const path = folderLink ? `.claude/skills/${stored.name}` : base.path;
        return unread(
          stored.type === 'symlink'
            ? `${path} is a symbolic link; rdev does not follow links inside .claude/`
            : `${path} is not a regular file`,
        );
      }
    }
  }
  const etag = claudeConfigEtag(stored.content);
  let text: string;
  try {
    text = UTF8.decode(stored.content);
  } catch {
    return unread(`${base.path} is not UTF-8 text`, etag);
  }
  const parsed = parseClaudeConfigDocument(kind, stored.name, text);
  return { ...base, ...fromParsed(text, parsed), etag };
}

/** The item just written, from the bytes sent and what the write reported (no second read). */
export function writtenItem(
  projectName: string,
  kind: ClaudeConfigKind,
  name: string,
  bytes: Uint8Array,
  text: string,
  parsed: ParsedClaudeConfigDocument,
  written: { size: number; modifiedAt: Date },
): ClaudeConfigItem {
  return {
    projectName,
    kind,
    name,
    path: claudeConfigPath(kind, name),
    size: written.size,
    modifiedAt: written.modifiedAt,
    etag: claudeConfigEtag(bytes),
    files: claudeConfigLayout(kind).form === 'folder' ? [] : null,
    filesTruncated: false,
    ...fromParsed(text, parsed),
  };
}

export function treeFiles(entries: readonly StoredTreeEntry[]): ClaudeConfigFile[] {
  return entries.map((e) => ({
    path: e.path,
    size: e.size,
    type:
      e.type === 'file'
        ? 'FILE'
        : e.type === 'directory'
          ? 'DIRECTORY'
          : e.type === 'symlink'
            ? 'SYMLINK'
            : 'OTHER',
  }));
}

function fromParsed(
  text: string,
  parsed: ParsedClaudeConfigDocument,
): Pick<ClaudeConfigItem, 'content' | 'body' | 'frontmatter' | 'problems'> {
  const problems: ClaudeConfigProblem[] = parsed.ok
    ? [...parsed.problems]
    : [
        {
          severity: 'ERROR',
          field: null,
          line: parsed.line,
          message: `the frontmatter is not valid YAML: ${parsed.reason}`,
        },
      ];
  if (text.includes('\0')) {
    problems.push({
      severity: 'WARNING',
      field: null,
      line: null,
      message: 'the file contains NUL characters',
    });
  }
  return {
    content: text,
    body: parsed.ok ? parsed.body : text,
    frontmatter: parsed.ok ? parsed.frontmatter : null,
    problems,
  };
}
