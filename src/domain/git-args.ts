import { ValidationError, type ValidationIssue } from './errors.js';
import { GIT_REFUSED_OPTIONS, GIT_RULES, type GitSubcommandRule } from './git-rules.js';
import { type ArgvLimits, DEFAULT_ARGV_LIMITS, limitIssues } from './shell-argv.js';

/**
 * GIT commands: `args` as a client sends them (`['log', '--oneline', '-n', '5', 'main']`) become
 * a git argv in which every option is allow-listed for its subcommand, valued options are bound to
 * their values (`--max-count=5`), and the user's values (revisions, branch names, remotes,
 * refspecs, pathspecs) follow `--end-of-options` where git accepts it, or `--` for paths.
 *
 * Refusals name their rule in the message:
 * - `git-subcommand`: the subcommand is not one rdev runs.
 * - `git-refused-option`: `-c`, `-C`, `--upload-pack`, `--exec`, `--git-dir`, ... (and their
 *   abbreviations), anywhere.
 * - `git-unknown-option`: an option not allowed for this subcommand.
 * - `git-option-value`: a valued option without its value.
 * - `git-dash-value`: a value starting with `-` where git has no `--end-of-options`.
 * - `git-config-override`: a `section.key=value` word, the shape of a configuration override.
 * - `git-remote-name`: a remote that is a URL or a path rather than a configured remote's name.
 * - `git-values` / `git-paths`: more values than the subcommand takes, or paths where it takes none.
 * - `git-limits`: too many or too long arguments, or NUL characters (which `parseInput` refuses
 *   for every service input before these rules run).
 */
export function gitArgv(args: readonly string[], limits: ArgvLimits = DEFAULT_ARGV_LIMITS): string[] {
  const fail = (index: number | null, rule: string, message: string): never => {
    throw new ValidationError([
      { path: index === null ? 'args' : `args.${index}`, message: `[${rule}] ${message}` },
    ]);
  };
  const sizeIssues: ValidationIssue[] = limitIssues(args, limits, 'args');
  args.forEach((arg, index) => {
    if (arg.includes('\0'))
      sizeIssues.push({ path: `args.${index}`, message: 'must not contain NUL characters' });
  });
  if (sizeIssues.length > 0) {
    throw new ValidationError(sizeIssues.map((i) => ({ ...i, message: `[git-limits] ${i.message}` })));
  }
  if (args.length === 0) fail(null, 'git-subcommand', 'name a git subcommand');
  if (isRefusedOption(args[0]!)) fail(0, 'git-refused-option', `${JSON.stringify(args[0])} is never allowed`);

  const rule = GIT_RULES.find((r) => r.words.every((word, i) => args[i] === word));
  if (!rule) {
    const allowed = GIT_RULES.map((r) => r.words.join(' ')).join(', ');
    return fail(
      0,
      'git-subcommand',
      `${JSON.stringify(args[0])} is not an allowed git subcommand (allowed: ${allowed})`,
    );
  }

  const options: string[] = [];
  const values: string[] = [];
  const paths: string[] = [];
  let afterEndOfOptions = false;
  let afterDashDash = false;
  for (let index = rule.words.length; index < args.length; index++) {
    const arg = args[index]!;
    if (isRefusedOption(arg)) fail(index, 'git-refused-option', `${JSON.stringify(arg)} is never allowed`);
    if (afterDashDash) {
      paths.push(arg);
      continue;
    }
    if (arg === '--') {
      if (!rule.paths) fail(index, 'git-paths', `git ${rule.words.join(' ')} takes no paths`);
      afterDashDash = true;
      continue;
    }
    if (arg === '--end-of-options') {
      afterEndOfOptions = true;
      continue;
    }
    if (!afterEndOfOptions && arg.startsWith('-') && arg !== '-') {
      const consumed = readOption(rule, args, index, options);
      if (consumed === 'unknown') {
        fail(
          index,
          'git-unknown-option',
          `${JSON.stringify(arg)} is not allowed with git ${rule.words.join(' ')}`,
        );
      }
      if (consumed === 'missing-value')
        fail(index, 'git-option-value', `${JSON.stringify(arg)} needs a value`);
      index += consumed === 'with-next' ? 1 : 0;
      continue;
    }
    if (arg.startsWith('-') && arg !== '-' && !rule.endOfOptions) {
      fail(index, 'git-dash-value', `values starting with "-" are refused for git ${rule.words.join(' ')}`);
    }
    if (CONFIG_ASSIGNMENT.test(arg)) {
      fail(index, 'git-config-override', `${JSON.stringify(arg)} has the shape of a configuration override`);
    }
    if (rule.remoteFirst && values.length === 0 && !REMOTE_NAME.test(arg)) {
      fail(index, 'git-remote-name', 'name a configured remote (such as "origin"), not a URL or a path');
    }
    values.push(arg);
  }
  if (values.length > rule.maxValues) {
    fail(null, 'git-values', `git ${rule.words.join(' ')} takes at most ${rule.maxValues} values`);
  }
  return [
    'git',
    ...rule.words,
    ...options,
    ...(values.length > 0 && rule.endOfOptions ? ['--end-of-options'] : []),
    ...values,
    ...(afterDashDash ? ['--', ...paths] : []),
  ];
}

const CONFIG_ASSIGNMENT = /^[A-Za-z][A-Za-z0-9-]*\.[^=/]*=/;
const REMOTE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const MIN_ABBREVIATION = 3; // `--ex` could be many things; git needs it unambiguous anyway

/** Whether `arg` spells a refused option, attached value or unambiguous abbreviation included. */
function isRefusedOption(arg: string): boolean {
  if (/^-[cC]/.test(arg)) return true;
  if (!arg.startsWith('--')) return false;
  const name = arg.split('=')[0]!;
  return GIT_REFUSED_OPTIONS.some(
    (refused) =>
      refused === name ||
      (refused.startsWith('--') && name.length - 2 >= MIN_ABBREVIATION && refused.startsWith(name)),
  );
}

type OptionRead = 'alone' | 'with-next' | 'unknown' | 'missing-value';

/** Appends the normalised option at `args[index]` to `out`; says how many words it took. */
function readOption(
  rule: GitSubcommandRule,
  args: readonly string[],
  index: number,
  out: string[],
): OptionRead {
  const arg = args[index]!;
  if (rule.flags.has(arg)) {
    out.push(arg);
    return 'alone';
  }
  const eq = arg.indexOf('=');
  const name = eq === -1 ? arg : arg.slice(0, eq);
  if (rule.optional.has(name)) {
    out.push(arg);
    return 'alone';
  }
  const canonical = rule.valued.get(name);
  if (canonical !== undefined && arg.startsWith('--') && eq !== -1) {
    out.push(`${canonical}=${arg.slice(eq + 1)}`);
    return 'alone';
  }
  if (canonical !== undefined && eq === -1) {
    const value = args[index + 1];
    if (value === undefined) return 'missing-value';
    out.push(...bind(canonical, value));
    return 'with-next';
  }
  // `-n5`: a short valued option with its value attached.
  const short = rule.valued.get(arg.slice(0, 2));
  if (!arg.startsWith('--') && arg.length > 2 && short !== undefined) {
    out.push(...bind(short, arg.slice(2)));
    return 'alone';
  }
  // `-5` for `--max-count=5`.
  if (rule.valued.has('-n') && /^-[1-9][0-9]{0,8}$/.test(arg)) {
    out.push(`--max-count=${arg.slice(1)}`);
    return 'alone';
  }
  // `-sb`: bundled short flags, each allowed on its own.
  if (/^-[A-Za-z]{2,}$/.test(arg) && [...arg.slice(1)].every((letter) => rule.flags.has(`-${letter}`))) {
    for (const letter of arg.slice(1)) out.push(`-${letter}`);
    return 'alone';
  }
  return 'unknown';
}

/** A long option takes its value after `=`; a short-only one as the next word, which git never reads as an option. */
function bind(option: string, value: string): string[] {
  return option.startsWith('--') ? [`${option}=${value}`] : [option, value];
}
