import { ValidationError, type ValidationIssue } from './errors.js';

/**
 * Rules for what may be handed to the workspace runtime: the working directory stays inside the
 * workspace, environment entries are plain `NAME=VALUE` lines, argv has no NUL. The runtime checks
 * them again, so a service that forgets cannot smuggle anything through.
 */

export const MAX_ENV_VARIABLES = 128;
export const MAX_ENV_VALUE_LENGTH = 32 * 1024;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * The absolute directory a command runs in: `cwd` (relative to the workspace; empty or absent
 * means the workspace itself) resolved against `workspacePath`. Resolution is lexical: `..` may not
 * climb out of the workspace, absolute paths and NUL are refused.
 * @throws ValidationError naming the `cwd` field.
 */
export function resolveRunCwd(workspacePath: string, cwd: string | null | undefined): string {
  const root = normaliseAbsolute(workspacePath);
  if (cwd === null || cwd === undefined || cwd === '' || cwd === '.') return root;
  const problem = (message: string) => new ValidationError([{ path: 'cwd', message }]);
  if (cwd.includes('\0')) throw problem('must not contain NUL characters');
  if (cwd.startsWith('/')) throw problem('must be relative to the workspace');
  const parts: string[] = [];
  for (const part of cwd.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw problem('must stay inside the workspace');
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  if (parts[0] === '.rdev') throw problem('must not point into the .rdev folder');
  return parts.length === 0 ? root : `${root === '/' ? '' : root}/${parts.join('/')}`;
}

function normaliseAbsolute(path: string): string {
  if (!path.startsWith('/') || path.includes('\0')) {
    throw new ValidationError([{ path: 'workspacePath', message: 'must be an absolute path' }]);
  }
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) {
    throw new ValidationError([{ path: 'workspacePath', message: 'must not contain ".."' }]);
  }
  return `/${parts.join('/')}`;
}

/** Problems with an environment map, one issue per bad entry (empty when it is fine). */
export function runEnvironmentIssues(env: Readonly<Record<string, string>>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const names = Object.keys(env);
  if (names.length > MAX_ENV_VARIABLES) {
    issues.push({ path: 'env', message: `at most ${MAX_ENV_VARIABLES} variables` });
  }
  for (const name of names) {
    const value = env[name];
    const path = `env.${name}`;
    if (!ENV_NAME.test(name)) {
      issues.push({ path, message: 'names use letters, digits and "_" and do not start with a digit' });
    } else if (typeof value !== 'string') {
      issues.push({ path, message: 'must be a string' });
    } else if (/[\n\r\0]/.test(value)) {
      issues.push({ path, message: 'must not contain line breaks or NUL characters' });
    } else if (value.length > MAX_ENV_VALUE_LENGTH) {
      issues.push({ path, message: `at most ${MAX_ENV_VALUE_LENGTH} characters` });
    }
  }
  return issues;
}

/**
 * The run folder's `env` file: one `NAME=VALUE` line per variable, which the supervisor exports
 * with each line as a single word (never parsed as shell text).
 * @throws ValidationError when an entry breaks {@link runEnvironmentIssues}.
 */
export function encodeRunEnvironment(env: Readonly<Record<string, string>>): string {
  const issues = runEnvironmentIssues(env);
  if (issues.length > 0) throw new ValidationError(issues);
  return Object.entries(env)
    .map(([name, value]) => `${name}=${value}\n`)
    .join('');
}

/**
 * Problems with a program argv: it must name a program, and no argument may contain NUL (both
 * execve and the Kubernetes exec API would cut the argument there without a word).
 */
export function argvIssues(argv: readonly string[], field = 'argv'): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (argv.length === 0 || argv[0] === '') issues.push({ path: field, message: 'must name a program' });
  argv.forEach((arg, index) => {
    if (typeof arg !== 'string') issues.push({ path: `${field}.${index}`, message: 'must be a string' });
    else if (arg.includes('\0')) {
      issues.push({ path: `${field}.${index}`, message: 'must not contain NUL characters' });
    }
  });
  return issues;
}
