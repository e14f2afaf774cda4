import {
  CLAUDE_CONFIG_KINDS,
  type ClaudeConfigFile,
  type ClaudeConfigItem,
  type ClaudeConfigProblem,
  claudeConfigItemId,
} from '../../domain/claude-config.js';
import { DomainError, RuntimeUnavailableError } from '../../domain/errors.js';
import { builder } from '../builder.js';
import { ProjectRef } from './project.js';

export const ClaudeConfigKindEnum = builder.enumType('ClaudeConfigKind', {
  values: CLAUDE_CONFIG_KINDS,
  description:
    'COMMAND: `.claude/commands/<name>.md`. SKILL: `.claude/skills/<name>/SKILL.md` (a folder). AGENT: `.claude/agents/<name>.md`.',
});

const SeverityEnum = builder.enumType('ClaudeConfigProblemSeverity', {
  values: ['ERROR', 'WARNING'] as const,
  description: 'ERROR: Claude Code ignores or misreads the item or field. WARNING: probably a mistake.',
});

const FileTypeEnum = builder.enumType('ClaudeConfigFileType', {
  values: ['FILE', 'DIRECTORY', 'SYMLINK', 'OTHER'] as const,
});

const ProblemRef = builder.objectRef<ClaudeConfigProblem>('ClaudeConfigProblem').implement({
  description: 'Something Claude Code would object to in an item; items are saved with their problems.',
  fields: (t) => ({
    severity: t.field({ type: SeverityEnum, resolve: (p) => p.severity }),
    field: t.exposeString('field', { nullable: true, description: 'The frontmatter field concerned.' }),
    line: t.exposeInt('line', { nullable: true, description: '1-based line in the file.' }),
    message: t.exposeString('message'),
  }),
});

const FileRef = builder.objectRef<ClaudeConfigFile>('ClaudeConfigFile').implement({
  fields: (t) => ({
    path: t.exposeString('path', { description: "Relative to the skill's folder, `/`-separated." }),
    type: t.field({ type: FileTypeEnum, resolve: (f) => f.type }),
    size: t.exposeInt('size', { description: 'Bytes (of the link itself for a link).' }),
  }),
});

export const ClaudeConfigItemRef = builder.objectRef<ClaudeConfigItem>('ClaudeConfigItem');

builder.node(ClaudeConfigItemRef, {
  description:
    "A Claude Code command, skill or agent in a project's `.claude/` folder, with its parsed frontmatter and the problems Claude Code would have with it.",
  id: { resolve: (i) => claudeConfigItemId(i.projectName, i.kind, i.name) },
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
    projectName: t.exposeString('projectName'),
    kind: t.field({ type: ClaudeConfigKindEnum, resolve: (i) => i.kind }),
    name: t.exposeString('name'),
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
    problems: t.field({ type: [ProblemRef], resolve: (i) => i.problems }),
    valid: t.boolean({
      description: 'True when no problem is an ERROR.',
      resolve: (i) => !i.problems.some((p) => p.severity === 'ERROR'),
    }),
    size: t.exposeInt('size', { description: 'Bytes of the main file.' }),
    modifiedAt: t.expose('modifiedAt', { type: 'DateTime' }),
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
    args: { kind: t.arg({ type: ClaudeConfigKindEnum, required: true }) },
    resolve: (project, args, ctx) =>
      ctx.services.claudeConfig.list(ctx.principal, { projectName: project.name, kind: args.kind }),
  }),
  claudeConfigItem: t.field({
    type: ClaudeConfigItemRef,
    nullable: true,
    authScopes: { scope: 'config:read' },
    description: 'One Claude Code item, or null when there is none of that name (needs `config:read`).',
    args: {
      kind: t.arg({ type: ClaudeConfigKindEnum, required: true }),
      name: t.arg.string({ required: true }),
    },
    resolve: (project, args, ctx) =>
      ctx.services.claudeConfig.get(ctx.principal, {
        projectName: project.name,
        kind: args.kind,
        name: args.name,
      }),
  }),
}));
