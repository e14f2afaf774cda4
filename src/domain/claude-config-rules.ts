import type { ClaudeConfigKind, ClaudeConfigProblem } from './claude-config.js';

/**
 * What Claude Code expects in the YAML frontmatter of each kind, checked on parsed data. Problems
 * are reported on the item, never refused: a file that is valid YAML is saved as the client sent
 * it, and the problems say what Claude Code will make of it. ERROR: Claude Code ignores the item
 * or the field; WARNING: probably a mistake (an unknown field, an unusual value).
 */

/** Model aliases every kind accepts; a full model id (`claude-sonnet-4-5-20250929`) works too. */
export const CLAUDE_MODEL_ALIASES = ['inherit', 'sonnet', 'opus', 'haiku'] as const;
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:@/[\]-]{0,199}$/;

/** Colours Claude Code shows agents in. */
export const CLAUDE_AGENT_COLORS = ['red', 'blue', 'green', 'yellow', 'purple', 'orange', 'pink', 'cyan'];
const PERMISSION_MODES = ['default', 'acceptEdits', 'bypassPermissions', 'plan', 'dontAsk'];

/** Longest skill description Claude Code accepts. */
export const SKILL_DESCRIPTION_MAX_LENGTH = 1024;

type FieldRule = (value: unknown) => { severity: 'ERROR' | 'WARNING'; message: string } | null;

const error = (message: string) => ({ severity: 'ERROR' as const, message });
const warning = (message: string) => ({ severity: 'WARNING' as const, message });

const text: FieldRule = (v) => (typeof v === 'string' ? null : error('must be text'));
const nonEmptyText: FieldRule = (v) =>
  typeof v === 'string' && v.trim() !== '' ? null : error('must be non-empty text');
const flag: FieldRule = (v) => (typeof v === 'boolean' ? null : error('must be true or false'));
const mapping: FieldRule = (v) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? null : error('must be a mapping');
const anything: FieldRule = () => null;
/** Tool lists: `Read, Grep` or a YAML list of names. */
const toolList: FieldRule = (v) =>
  typeof v === 'string' || (Array.isArray(v) && v.every((t) => typeof t === 'string'))
    ? null
    : error('must be a comma-separated text or a list of tool names');
/** `argument-hint: [message]` (as Claude Code's own examples write it) parses as a list. */
const hint: FieldRule = (v) =>
  typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null))
    ? null
    : error('must be text such as "[message]"');
const model: FieldRule = (v) => {
  if (typeof v !== 'string') return error('must be text');
  if ((CLAUDE_MODEL_ALIASES as readonly string[]).includes(v) || MODEL_ID.test(v)) return null;
  return error(`must be one of ${CLAUDE_MODEL_ALIASES.join(', ')} or a model id such as claude-sonnet-4-5`);
};
const color: FieldRule = (v) =>
  typeof v !== 'string'
    ? error('must be text')
    : CLAUDE_AGENT_COLORS.includes(v)
      ? null
      : warning(`is not a colour Claude Code knows (${CLAUDE_AGENT_COLORS.join(', ')})`);
const permissionMode: FieldRule = (v) =>
  typeof v === 'string' && PERMISSION_MODES.includes(v)
    ? null
    : warning(`should be one of ${PERMISSION_MODES.join(', ')}`);

interface KindRules {
  /** Frontmatter must be present (agents and skills are found through it). */
  frontmatterRequired: boolean;
  required: readonly string[];
  fields: Record<string, FieldRule>;
  /** The field that must equal the item's name, if any. */
  nameField: string | null;
}

const RULES: Record<ClaudeConfigKind, KindRules> = {
  COMMAND: {
    frontmatterRequired: false,
    required: [],
    nameField: null,
    fields: {
      description: text,
      'allowed-tools': toolList,
      model,
      'argument-hint': hint,
      'disable-model-invocation': flag,
    },
  },
  AGENT: {
    frontmatterRequired: true,
    required: ['name', 'description'],
    nameField: 'name',
    fields: {
      name: nonEmptyText,
      description: nonEmptyText,
      tools: toolList,
      disallowedTools: toolList,
      model,
      color,
      permissionMode,
      skills: toolList,
      hooks: anything,
      mcpServers: anything,
    },
  },
  SKILL: {
    frontmatterRequired: true,
    required: ['name', 'description'],
    nameField: 'name',
    fields: {
      name: nonEmptyText,
      description: (v) =>
        nonEmptyText(v) ??
        ((v as string).length > SKILL_DESCRIPTION_MAX_LENGTH
          ? error(`must be at most ${SKILL_DESCRIPTION_MAX_LENGTH} characters`)
          : null),
      'allowed-tools': toolList,
      model,
      license: text,
      version: anything,
      metadata: mapping,
      'argument-hint': hint,
      'disable-model-invocation': flag,
      'user-invocable': flag,
      context: text,
      agent: text,
      hooks: anything,
    },
  },
};

const NOUN: Record<ClaudeConfigKind, string> = { COMMAND: 'a command', AGENT: 'an agent', SKILL: 'a skill' };

/**
 * Problems Claude Code would have with an item's frontmatter.
 * @param frontmatter the parsed YAML, or `undefined` when the file has no frontmatter block.
 * @param fieldLines 1-based file line of each top-level key, for pointing at the problem.
 */
export function claudeConfigFrontmatterProblems(
  kind: ClaudeConfigKind,
  name: string,
  frontmatter: unknown,
  fieldLines: Readonly<Record<string, number>> = {},
): ClaudeConfigProblem[] {
  const rules = RULES[kind];
  if (frontmatter === undefined) {
    return rules.frontmatterRequired
      ? [
          {
            severity: 'ERROR',
            field: null,
            line: 1,
            message: `${NOUN[kind]} needs YAML frontmatter between "---" lines with ${rules.required.join(' and ')}; Claude Code ignores it without`,
          },
        ]
      : [];
  }
  // An empty block (`---` twice) parses as null: the same as no fields at all.
  const fields = frontmatter ?? {};
  if (typeof fields !== 'object' || Array.isArray(fields)) {
    return [
      {
        severity: 'ERROR',
        field: null,
        line: 2,
        message: 'the frontmatter must be a YAML mapping of fields (`key: value` lines)',
      },
    ];
  }
  const data = fields as Record<string, unknown>;
  const problems: ClaudeConfigProblem[] = [];
  const at = (field: string) => fieldLines[field] ?? null;
  for (const field of rules.required) {
    if (!(field in data) || data[field] === null) {
      problems.push({
        severity: 'ERROR',
        field,
        line: at(field),
        message: `"${field}" is required for ${NOUN[kind]}`,
      });
    }
  }
  for (const [field, value] of Object.entries(data)) {
    const rule = rules.fields[field];
    if (!rule) {
      problems.push({
        severity: 'WARNING',
        field,
        line: at(field),
        message: `"${field}" is not a field Claude Code reads for ${NOUN[kind]}`,
      });
      continue;
    }
    if (value === null && rules.required.includes(field)) continue;
    const found = value === null ? null : rule(value);
    if (found) problems.push({ ...found, field, line: at(field), message: `"${field}" ${found.message}` });
  }
  const nameField = rules.nameField;
  if (nameField && typeof data[nameField] === 'string' && data[nameField] !== name) {
    problems.push({
      severity: 'ERROR',
      field: nameField,
      line: at(nameField),
      message: `"${nameField}" is "${data[nameField]}" but must be "${name}", the ${kind === 'SKILL' ? 'folder' : 'file'} name`,
    });
  }
  return problems;
}
