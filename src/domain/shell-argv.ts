import { ValidationError, type ValidationIssue } from './errors.js';
import { argvIssues } from './run-request.js';

/**
 * SHELL commands: either an argv run as it is, or a script run as `sh -c script`. The script is
 * the user's own shell text by design (the project policy must allow SHELL); nothing of rdev's is
 * ever spliced into it, and argv elements never pass through a shell.
 */
export interface ShellCommandInput {
  argv?: readonly string[] | null;
  script?: string | null;
}

/**
 * Bounds on what a command line may carry. The Kubernetes exec API carries argv in the request
 * URL, and proxies in front of API servers refuse long URLs, hence the modest total.
 */
export interface ArgvLimits {
  maxArgs: number;
  /** Characters per argument (the script counts as one). */
  maxArgLength: number;
  /** Characters over all arguments. */
  maxTotalLength: number;
}

export const DEFAULT_ARGV_LIMITS: ArgvLimits = {
  maxArgs: 1000,
  maxArgLength: 64 * 1024,
  maxTotalLength: 256 * 1024,
};

/**
 * The argv for a SHELL command.
 * @throws ValidationError when both or neither of `argv` and `script` are given, or a limit is
 * exceeded.
 */
export function shellArgv(input: ShellCommandInput, limits: ArgvLimits = DEFAULT_ARGV_LIMITS): string[] {
  const hasArgv = input.argv !== null && input.argv !== undefined;
  const hasScript = input.script !== null && input.script !== undefined;
  if (hasArgv === hasScript) {
    throw new ValidationError([
      { path: hasArgv ? 'script' : 'argv', message: 'give exactly one of argv or script' },
    ]);
  }
  if (hasScript) {
    const script = input.script as string;
    if (script.trim() === '') throw new ValidationError([{ path: 'script', message: 'must not be empty' }]);
    const issues = limitIssues([script], limits, 'script');
    if (script.includes('\0')) issues.push({ path: 'script', message: 'must not contain NUL characters' });
    if (issues.length > 0) throw new ValidationError(issues);
    return ['sh', '-c', script];
  }
  const argv = [...(input.argv as readonly string[])];
  const issues = [...argvIssues(argv), ...limitIssues(argv, limits, 'argv')];
  if (issues.length > 0) throw new ValidationError(issues);
  return argv;
}

/** Problems with the size of an argv against `limits`. */
export function limitIssues(args: readonly string[], limits: ArgvLimits, field: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (args.length > limits.maxArgs) {
    issues.push({ path: field, message: `at most ${limits.maxArgs} arguments` });
  }
  let total = 0;
  args.forEach((arg, index) => {
    total += arg.length;
    if (arg.length > limits.maxArgLength) {
      const path = field === 'script' ? field : `${field}.${index}`;
      issues.push({ path, message: `at most ${limits.maxArgLength} characters` });
    }
  });
  if (total > limits.maxTotalLength) {
    issues.push({ path: field, message: `at most ${limits.maxTotalLength} characters in all` });
  }
  return issues;
}

/**
 * GraphQL turns `argv: "echo hi"` into `["echo hi"]`, which would then fail as a program named
 * "echo hi". The message for such an argv (one element holding whitespace), saying what was
 * probably meant, or null when the argv is not of that shape.
 */
export function spacedArgvMessage(argv: readonly string[] | null | undefined): string | null {
  const only = argv?.length === 1 ? argv[0]!.trim() : '';
  if (!/\s/.test(only)) return null;
  return (
    `is one word containing spaces: use script: ${JSON.stringify(argv![0])} to run it through sh, ` +
    `or split the words: ${JSON.stringify(only.split(/\s+/))}`
  );
}
