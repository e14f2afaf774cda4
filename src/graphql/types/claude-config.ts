import {
  CLAUDE_CONFIG_KINDS,
  type ClaudeConfigFile,
  type ClaudeConfigItem,
  type ClaudeConfigProblem,
  claudeConfigItemId,
} from '../../domain/claude-config.js';
import { DomainError, RuntimeUnavailableError } from '../../domain/errors.js';
import { builder } from '../builder.js';
import { describedValues } from '../described-values.js';
import { ProjectRef } from './project.js';

export const ClaudeConfigKindEnum = builder.enumType('ClaudeConfigKind', {
  description: 'The kind of a Claude Code item, which says where it lives in `.claude/`.',
  values: describedValues(CLAUDE_CONFIG_KINDS, {
    COMMAND: 'A slash command: `.claude/commands/<name>.md`.',
    SKILL: 'A skill: `.claude/skills/<name>/SKILL.md` (a folder).',
    AGENT: 'A subagent: `.claude/agents/<name>.md`.',
  }),
});

const SeverityEnum = builder.enumType('ClaudeConfigProblemSeverity', {
  description: 'How serious a problem with a Claude Code item is.',
  values: describedValues(['ERROR', 'WARNING'] as const, {
    ERROR: 'Claude Code ignores or misreads the item or field.',
    WARNING: 'Probably a mistake.',
  }),
});

const FileTypeEnum = builder.enumType('ClaudeConfigFileType', {
  description: 'What an entry of a skill folder is.',
  values: describedValues(['FILE', 'DIRECTORY', 'SYMLINK', 'OTHER'] as const, {
    FILE: 'A regular file.',
    DIRECTORY: 'A folder.',
    SYMLINK: 'A symbolic link (not followed).',
    OTHER: 'Anything else, such as a socket or device.',
  }),
});

const ProblemRef = builder.objectRef<ClaudeConfigProblem>('ClaudeConfigProblem').implement({
  description: 'Something Claude Code would object to in an item; items are saved with their problems.',
  fields: (t) => ({
    severity: t.field({ type: SeverityEnum, description: 'How serious it is.', resolve: (p) => p.severity }),
    field: t.exposeString('field', { nullable: true, description: 'The frontmatter field concerned.' }),
    line: t.exposeInt('line', { nullable: true, description: '1-based line in the file.' }),
    message: t.exposeString('message', { description: 'What is wrong and how to fix it.' }),
  }),
});

const FileRef = builder.objectRef<ClaudeConfigFile>('ClaudeConfigFile').implement({
  description: "One entry of a skill's folder.",
  fields: (t) => ({
    path: t.exposeString('path', { description: "Relative to the skill's folder, `/`-separated." }),
    type: t.field({ type: FileTypeEnum, description: 'What the entry is.', resolve: (f) => f.type }),
    size: t.exposeInt('size', { description: 'Bytes (of the link itself for a link).' }),
  }),
});

export const ClaudeConfigItemRef = builder.objectRef<ClaudeConfigItem>('ClaudeConfigItem');

builder.node(ClaudeConfigItemRef, {
  description:
    "A Claude Code command, skill or agent in a project's `.claude/` folder, with its parsed frontmatter and the problems Claude Code would have with it.",
  id: {
    resolve: (i) => claudeConfigItemId(i.projectName, i.kind, i.name),
    description: 'Global id; resolve it with `node(id:)`.',
  },
  isTypeOf: (value) =>
    typeof value === 'object' && value !== null && 'filesTruncated' in value && 'problems' in value,
  loadOne: async (id, ctx) => {
    try {
      return await ctx.services.claudeConfig.getById(ctx.principal, id);
    } catch (error) {
      if (error instanceof DomainError && !(error instanceof RuntimeUnavailableError)) return null;
      throw error;
    }
  },
  fields: (t) => ({
    projectName: t.exposeString('projectName', { description: 'The project whose workspace holds it.' }),
    kind: t.field({
      type: ClaudeConfigKindEnum,
      description: 'Command, skill or agent.',
      resolve: (i) => i.kind,
    }),
    name: t.exposeString('name', { description: 'Its name: the file or folder name without `.md`.' }),
    path: t.exposeString('path', { description: 'The main file, relative to the workspace.' }),
    content: t.exposeString('content', {
      nullable: true,
      description:
        'The whole file. Null when it could not be read safely (too large, not UTF-8, a link): see `problems`.',
    }),
    body: t.exposeString('body', { nullable: true, description: 'The text after the frontmatter.' }),
    frontmatter: t.field({
      type: 'JSON',
      nullable: true,
      description: 'The parsed YAML frontmatter; null when there is none.',
      resolve: (i) => i.frontmatter as never,
    }),
    problems: t.field({
      type: [ProblemRef],
      description: 'What Claude Code would object to; empty when nothing.',
      resolve: (i) => i.problems,
    }),
    valid: t.boolean({
      description: 'True when no problem is an ERROR.',
      resolve: (i) => !i.problems.some((p) => p.severity === 'ERROR'),
    }),
    size: t.exposeInt('size', { description: 'Bytes of the main file.' }),
    modifiedAt: t.expose('modifiedAt', { type: 'DateTime', description: 'When the main file last changed.' }),
    etag: t.exposeString('etag', {
      nullable: true,
      description: 'SHA-256 of the bytes (hex); pass it as `ifMatch` to change only this version.',
    }),
    files: t.field({
      type: [FileRef],
      nullable: true,
      description: "Skills: the entries of the skill's folder (four levels, bounded). Null for other kinds.",
      resolve: (i) => i.files,
    }),
    filesTruncated: t.exposeBoolean('filesTruncated', {
      description: 'True when the skill folder holds more entries than `files` shows.',
    }),
  }),
});

builder.objectFields(ProjectRef, (t) => ({
  claudeConfigItems: t.field({
    type: [ClaudeConfigItemRef],
    authScopes: { scope: 'config:read' },
    description: 'Claude Code items of one kind in the workspace, by name (needs `config:read`).',
    args: { kind: t.arg({ type: ClaudeConfigKindEnum, required: true, description: 'Which kind to list.' }) },
    resolve: (project, args, ctx) =>
      ctx.services.claudeConfig.list(ctx.principal, { projectName: project.name, kind: args.kind }),
  }),
  claudeConfigItem: t.field({
    type: ClaudeConfigItemRef,
    nullable: true,
    authScopes: { scope: 'config:read' },
    description: 'One Claude Code item, or null when there is none of that name (needs `config:read`).',
    args: {
      kind: t.arg({ type: ClaudeConfigKindEnum, required: true, description: 'The kind of the item.' }),
      name: t.arg.string({ required: true, description: 'The name of the item.' }),
    },
    resolve: (project, args, ctx) =>
      ctx.services.claudeConfig.get(ctx.principal, {
        projectName: project.name,
        kind: args.kind,
        name: args.name,
      }),
  }),
}));
