import { ValidationError, type ValidationIssue } from './errors.js';
import { UUID_PATTERN as UUID } from './uuid.js';

/**
 * The argv of a headless Claude Code run. The prompt never appears here: it goes to the CLI on
 * stdin. Every option takes the `--flag=value` form, so a value starting with `-` can never be
 * read as another flag.
 */
export interface ClaudeRunOptions {
  /** Session to continue: a UUID, as printed in an earlier run's `init` or `result`. */
  resumeSessionId?: string | null;
  /** Agentic turns allowed before the CLI stops with `error_max_turns`. */
  maxTurns?: number | null;
  /** Tools the CLI may use without asking, e.g. `Read`, `Bash(git log:*)`. */
  allowedTools?: readonly string[] | null;
  /** Model alias or name, e.g. `sonnet` or `claude-sonnet-4-5`. */
  model?: string | null;
  /**
   * Keep the session open: the CLI reads user messages as stream-json lines on stdin
   * (`--input-format=stream-json`), answers each with a turn ending in a `result`, and exits when
   * its stdin closes.
   */
  interactive?: boolean | null;
}

export const MAX_CLAUDE_TURNS = 1000;
export const MAX_ALLOWED_TOOLS = 100;
export const MAX_PROMPT_BYTES = 1024 * 1024;

const MODEL = /^[A-Za-z0-9][A-Za-z0-9._:[\]-]{0,127}$/;
// Tool names with an optional rule in parentheses (`Bash(npm run test:*)`). No commas anywhere:
// the list is passed joined by commas. No whitespace outside the rule, which the CLI splits on.
const TOOL = /^[A-Za-z][A-Za-z0-9_.-]{0,63}(\([^(),\0\n\r]{1,256}\))?$/;

/** Base invocation: print mode, streaming JSON (which requires `--verbose` with `-p`). */
export const CLAUDE_BASE_ARGV: readonly string[] = [
  'claude',
  '-p',
  '--output-format=stream-json',
  '--verbose',
];

/** Problems with the options, one issue per field (empty when fine). */
export function claudeOptionIssues(options: ClaudeRunOptions): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const { resumeSessionId, maxTurns, allowedTools, model } = options;
  if (resumeSessionId != null && !UUID.test(resumeSessionId)) {
    issues.push({ path: 'resumeSessionId', message: 'must be a session UUID' });
  }
  if (maxTurns != null && (!Number.isSafeInteger(maxTurns) || maxTurns < 1 || maxTurns > MAX_CLAUDE_TURNS)) {
    issues.push({ path: 'maxTurns', message: `must be an integer from 1 to ${MAX_CLAUDE_TURNS}` });
  }
  if (allowedTools != null) {
    if (allowedTools.length > MAX_ALLOWED_TOOLS) {
      issues.push({ path: 'allowedTools', message: `at most ${MAX_ALLOWED_TOOLS} tools` });
    }
    allowedTools.forEach((tool, index) => {
      if (!TOOL.test(tool)) {
        issues.push({
          path: `allowedTools.${index}`,
          message: 'must be a tool name, optionally with a rule in parentheses, e.g. "Bash(git log:*)"',
        });
      }
    });
  }
  if (model != null && !MODEL.test(model)) {
    issues.push({ path: 'model', message: 'must be a model name or alias (letters, digits, ".", "-", ":")' });
  }
  return issues;
}

/**
 * argv for `claude` with these options.
 * @throws ValidationError listing every bad option.
 */
export function claudeArgv(options: ClaudeRunOptions = {}): string[] {
  const issues = claudeOptionIssues(options);
  if (issues.length > 0) throw new ValidationError(issues);
  const argv = [...CLAUDE_BASE_ARGV];
  if (options.resumeSessionId != null) argv.push(`--resume=${options.resumeSessionId.toLowerCase()}`);
  if (options.maxTurns != null) argv.push(`--max-turns=${options.maxTurns}`);
  if (options.allowedTools != null && options.allowedTools.length > 0) {
    argv.push(`--allowedTools=${options.allowedTools.join(',')}`);
  }
  if (options.model != null) argv.push(`--model=${options.model}`);
  if (options.interactive) argv.push('--input-format=stream-json');
  return argv;
}

/**
 * Problems with a prompt: it must have content, fit the size limit and contain no NUL (the CLI
 * reads text). It goes on stdin, so nothing else about it matters.
 */
export function claudePromptIssues(prompt: string, maxBytes = MAX_PROMPT_BYTES): ValidationIssue[] {
  if (prompt.trim() === '') return [{ path: 'prompt', message: 'must not be empty' }];
  if (prompt.includes('\0')) return [{ path: 'prompt', message: 'must not contain NUL characters' }];
  if (new TextEncoder().encode(prompt).length > maxBytes) {
    return [{ path: 'prompt', message: `must be at most ${maxBytes} bytes of UTF-8` }];
  }
  return [];
}
