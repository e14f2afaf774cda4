import { createHash } from 'node:crypto';
import { ConflictError } from './errors.js';

/**
 * Claude Code configuration files: the slash commands, skills and subagents a team keeps in a
 * workspace's `.claude/` folder. Terms:
 *
 * - *kind*: COMMAND (`.claude/commands/<name>.md`), AGENT (`.claude/agents/<name>.md`) or SKILL
 *   (`.claude/skills/<name>/SKILL.md`, a folder that may hold more files).
 * - *item*: one of them, read from the workspace: its text, its parsed YAML frontmatter and the
 *   problems Claude Code would have with it.
 * - *etag*: the SHA-256 of the item's bytes; a write with `ifMatch` only replaces what the caller
 *   last read.
 *
 * Only names that pass {@link claudeConfigNameProblem} ever become part of a path, and the rest of
 * each path is fixed here, so no text from a client is ever joined into a path.
 */

export const CLAUDE_CONFIG_KINDS = ['COMMAND', 'SKILL', 'AGENT'] as const;
export type ClaudeConfigKind = (typeof CLAUDE_CONFIG_KINDS)[number];

/** The folder under the workspace that holds every item. */
export const CLAUDE_DIR = '.claude';
/** The file that makes a folder under `.claude/skills/` a skill. */
export const SKILL_FILE_NAME = 'SKILL.md';
/** How many levels of a skill's folder its file listing shows. */
export const SKILL_TREE_MAX_DEPTH = 4;
/** The suffix of command and agent files. */
export const CONFIG_FILE_SUFFIX = '.md';

/**
 * Where a kind's items live: `file` items are `.claude/<folder>/<name>.md`; `folder` items are
 * `.claude/<folder>/<name>/SKILL.md`, and deleting one removes its whole folder.
 */
export interface ClaudeConfigLayout {
  kind: ClaudeConfigKind;
  folder: 'commands' | 'agents' | 'skills';
  form: 'file' | 'folder';
}

const LAYOUTS: Record<ClaudeConfigKind, ClaudeConfigLayout> = {
  COMMAND: { kind: 'COMMAND', folder: 'commands', form: 'file' },
  AGENT: { kind: 'AGENT', folder: 'agents', form: 'file' },
  SKILL: { kind: 'SKILL', folder: 'skills', form: 'folder' },
};

export function claudeConfigLayout(kind: ClaudeConfigKind): ClaudeConfigLayout {
  return LAYOUTS[kind];
}

/** Name lengths per kind. Claude Code requires 3–50 characters for agent names. */
export const CLAUDE_CONFIG_NAME_LENGTHS: Record<ClaudeConfigKind, { min: number; max: number }> = {
  COMMAND: { min: 1, max: 64 },
  SKILL: { min: 1, max: 64 },
  AGENT: { min: 3, max: 50 },
};

const NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** Why `name` cannot name an item of `kind`, or `null` when it can. */
export function claudeConfigNameProblem(kind: ClaudeConfigKind, name: string): string | null {
  const { min, max } = CLAUDE_CONFIG_NAME_LENGTHS[kind];
  if (name.length < min || name.length > max) {
    return `must be ${min}–${max} characters long`;
  }
  if (!NAME_PATTERN.test(name)) {
    return 'may use only lower-case letters a–z, digits and "-", and must start and end with a letter or digit';
  }
  return null;
}

export function isClaudeConfigName(kind: ClaudeConfigKind, name: string): boolean {
  return claudeConfigNameProblem(kind, name) === null;
}

/** The item's main file relative to the workspace, `/`-separated: `.claude/skills/x/SKILL.md`. */
export function claudeConfigPath(kind: ClaudeConfigKind, name: string): string {
  const { folder, form } = LAYOUTS[kind];
  return form === 'file'
    ? `${CLAUDE_DIR}/${folder}/${name}${CONFIG_FILE_SUFFIX}`
    : `${CLAUDE_DIR}/${folder}/${name}/${SKILL_FILE_NAME}`;
}

/** Upper bound of any configured item size limit (see `RDEV_CLAUDE_CONFIG_MAX_BYTES`). */
export const CLAUDE_CONFIG_MAX_BYTES_CEILING = 16 * 1024 * 1024;

/**
 * How many leading bytes of a file are hashed to compare it with an etag: every etag rdev hands
 * out describes a file of at most {@link CLAUDE_CONFIG_MAX_BYTES_CEILING} bytes, so a longer file
 * can never match, and a planted huge file is never read to its end.
 */
export const ETAG_COMPARE_BYTES = CLAUDE_CONFIG_MAX_BYTES_CEILING + 1;

/** The etag of an item's bytes: lower-case hex SHA-256 (what `sha256sum` prints in a pod). */
export function claudeConfigEtag(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function isClaudeConfigEtag(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text);
}

/** How bad a problem is: ERROR means Claude Code ignores or misreads the item. */
export type ClaudeConfigProblemSeverity = 'ERROR' | 'WARNING';

/** One thing Claude Code would object to in an item. */
export interface ClaudeConfigProblem {
  severity: ClaudeConfigProblemSeverity;
  /** The frontmatter field concerned, if one. */
  field: string | null;
  /** 1-based line in the file, when known. */
  line: number | null;
  message: string;
}

/** An entry of a skill's folder. */
export interface ClaudeConfigFile {
  /** Relative to the skill's folder, `/`-separated. */
  path: string;
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK' | 'OTHER';
  /** Bytes (for a link: of the link itself). */
  size: number;
}

/** A command, skill or agent as read from a workspace. */
export interface ClaudeConfigItem {
  projectName: string;
  kind: ClaudeConfigKind;
  name: string;
  /** The main file relative to the workspace (see {@link claudeConfigPath}). */
  path: string;
  /** The text; `null` when it could not be read safely (too large, not UTF-8, a link): see `problems`. */
  content: string | null;
  /** The text after the frontmatter (all of it when there is none); `null` with `content`. */
  body: string | null;
  /** The parsed YAML frontmatter; `null` when there is none. */
  frontmatter: unknown;
  problems: ClaudeConfigProblem[];
  /** Size of the main file in bytes. */
  size: number;
  modifiedAt: Date;
  /** {@link claudeConfigEtag} of the bytes; `null` when they were not read. */
  etag: string | null;
  /** Skills: the entries of the skill's folder (bounded); `null` for other kinds. */
  files: ClaudeConfigFile[] | null;
  /** True when `files` was cut at the listing limit. */
  filesTruncated: boolean;
}

/** The item's id within rdev: `project/KIND/name` (none of the three can contain `/`). */
export function claudeConfigItemId(projectName: string, kind: ClaudeConfigKind, name: string): string {
  return `${projectName}/${kind}/${name}`;
}

/** The parts of a {@link claudeConfigItemId}, or `null` when the text is not one. */
export function parseClaudeConfigItemId(
  id: string,
): { projectName: string; kind: ClaudeConfigKind; name: string } | null {
  const parts = id.split('/');
  if (parts.length !== 3) return null;
  const [projectName, kind, name] = parts as [string, string, string];
  if (!(CLAUDE_CONFIG_KINDS as readonly string[]).includes(kind)) return null;
  return { projectName, kind: kind as ClaudeConfigKind, name };
}

/**
 * The refusal when `.claude` or a kind's folder is a symbolic link or not a folder: a link there
 * (which a workspace's own agent could plant) could lead reads and writes outside the workspace.
 */
export function unsafeClaudePathError(
  projectName: string,
  path: string,
  reason: 'symlink' | 'not-a-folder',
): ConflictError {
  const what = reason === 'symlink' ? 'is a symbolic link' : 'is not a folder';
  return new ConflictError(
    `"${path}" in project "${projectName}" ${what}; rdev does not follow links inside ${CLAUDE_DIR}/ or write through them. Replace it with a real folder.`,
    { reason, path },
  );
}
