/**
 * The git subcommands rdev runs and the options each may take. Anything not listed is refused:
 * an allow-list cannot be bypassed by an option nobody thought of. Checked against git 2.39.
 *
 * Notation: `flags` take no value; `valued` options take one (`-n=--max-count` maps the short
 * spelling to the long one, written `--max-count=VALUE`; a short option without a long spelling is
 * written as two words, which git's option parser always reads as option and value); `optional`
 * options take a value only when attached with `=`.
 */
export interface GitSubcommandRule {
  /** Words that follow `git` (`stash list`). */
  words: readonly string[];
  flags: ReadonlySet<string>;
  /** Spelling → canonical spelling. */
  valued: ReadonlyMap<string, string>;
  optional: ReadonlySet<string>;
  /** Whether this git accepts `--end-of-options` before the subcommand's values. */
  endOfOptions: boolean;
  /** Values (revisions, branch names, pathspecs, remote and refspecs) allowed before `--`. */
  maxValues: number;
  /** Whether `--` followed by paths is accepted. */
  paths: boolean;
  /** The first value names a remote (fetch, pull, push): a plain name, never a URL or path. */
  remoteFirst?: boolean;
}

interface RuleSpec {
  flags?: string;
  valued?: string;
  optional?: string;
  endOfOptions: boolean;
  maxValues: number;
  paths: boolean;
  remoteFirst?: boolean;
}

function words(spec: string | undefined): string[] {
  return spec ? spec.split(/\s+/).filter(Boolean) : [];
}

function rule(name: string, spec: RuleSpec): GitSubcommandRule {
  const valued = new Map<string, string>();
  for (const word of words(spec.valued)) {
    const [short, long] = word.includes('=') ? word.split('=') : [word, word];
    valued.set(short!, long!);
    valued.set(long!, long!);
  }
  return {
    words: name.split(' '),
    flags: new Set(words(spec.flags)),
    valued,
    optional: new Set(words(spec.optional)),
    endOfOptions: spec.endOfOptions,
    maxValues: spec.maxValues,
    paths: spec.paths,
    remoteFirst: spec.remoteFirst ?? false,
  };
}

const MANY = 100;

const LOG_FLAGS =
  '--oneline --graph --all --branches --tags --remotes --stat --shortstat --numstat --name-only --name-status ' +
  '-p --patch --no-patch -s --no-merges --merges --first-parent --reverse --abbrev-commit --no-abbrev-commit ' +
  '--date-order --topo-order --author-date-order --full-history --left-right --cherry-pick --boundary ' +
  '--no-decorate --no-color --no-ext-diff --no-textconv -z --follow --summary --raw'.replace(/\s+/g, ' ');
const LOG_VALUED =
  '-n=--max-count --skip --since --after --until --before --author --committer --grep --format --date ' +
  '-U=--unified --diff-filter';
const LOG_OPTIONAL = '--decorate --abbrev --pretty --color --stat';

const DIFF_FLAGS =
  '--stat --shortstat --numstat --name-only --name-status --cached --staged -p --patch --no-patch -R --raw ' +
  '--summary -w --ignore-all-space -b --ignore-space-change --ignore-blank-lines --no-color --exit-code ' +
  '--quiet --minimal --patience --histogram --no-ext-diff --no-textconv --no-renames -z --merge-base';

/** Every subcommand rdev runs, by its words. */
export const GIT_RULES: readonly GitSubcommandRule[] = [
  rule('status', {
    flags:
      '-s --short -b --branch --long --porcelain --ignored -z --ahead-behind --no-ahead-behind --show-stash ' +
      '-u -uno -unormal -uall --no-renames',
    optional: '--porcelain --untracked-files',
    endOfOptions: true,
    maxValues: MANY,
    paths: true,
  }),
  rule('log', {
    flags: LOG_FLAGS,
    valued: LOG_VALUED,
    optional: LOG_OPTIONAL,
    endOfOptions: true,
    maxValues: MANY,
    paths: true,
  }),
  rule('show', {
    flags: `${LOG_FLAGS} --no-notes`,
    valued: LOG_VALUED,
    optional: LOG_OPTIONAL,
    endOfOptions: true,
    maxValues: MANY,
    paths: true,
  }),
  rule('diff', {
    flags: DIFF_FLAGS,
    valued: '-U=--unified --diff-filter --stat-width',
    optional: '--color --stat --dirstat --word-diff',
    endOfOptions: true,
    maxValues: 2,
    paths: true,
  }),
  rule('branch', {
    flags:
      '-a --all -r --remotes -v -vv --verbose --list -l --show-current -d --delete -D -m --move -M --copy ' +
      '-f --force -t --track --no-track --unset-upstream --no-color -q --quiet',
    valued: '--sort --format --merged --no-merged --contains --no-contains --points-at -u=--set-upstream-to',
    optional: '--abbrev --color',
    endOfOptions: true,
    maxValues: 2,
    paths: false,
  }),
  rule('checkout', {
    flags: '-f --force --detach -q --quiet -m --merge --ours --theirs -t --track --no-track --no-guess',
    valued: '-b -B --orphan',
    endOfOptions: false,
    maxValues: 1,
    paths: true,
  }),
  rule('switch', {
    flags:
      '-d --detach --discard-changes -f --force -m --merge --guess --no-guess -t --track --no-track -q --quiet',
    valued: '--create --force-create --orphan',
    endOfOptions: true,
    maxValues: 1,
    paths: false,
  }),
  rule('add', {
    flags:
      '-A --all --no-all -u --update -n --dry-run -v --verbose -f --force -N --intent-to-add --ignore-errors --renormalize',
    endOfOptions: true,
    maxValues: MANY,
    paths: true,
  }),
  rule('commit', {
    flags:
      '-a --all --amend --no-edit --allow-empty --allow-empty-message -s --signoff --no-verify -n -q --quiet ' +
      '-v --verbose --dry-run --short --porcelain --reset-author --no-gpg-sign -o --only -i --include',
    valued: '-m=--message --author --date --fixup --squash --cleanup',
    endOfOptions: true,
    maxValues: MANY,
    paths: true,
  }),
  rule('fetch', {
    flags:
      '--all --prune -p --prune-tags --tags -t --no-tags --dry-run -v --verbose -q --quiet -f --force --unshallow --atomic --no-recurse-submodules',
    valued: '--depth --deepen --shallow-since',
    endOfOptions: true,
    maxValues: MANY,
    paths: false,
    remoteFirst: true,
  }),
  rule('pull', {
    flags:
      '--no-rebase --ff-only --ff --no-ff -q --quiet -v --verbose --prune -p --tags --no-tags --autostash ' +
      '--no-autostash --all --no-recurse-submodules --no-edit',
    optional: '--rebase',
    endOfOptions: false,
    maxValues: MANY,
    paths: false,
    remoteFirst: true,
  }),
  rule('push', {
    flags:
      '--tags --follow-tags -f --force --force-if-includes -u --set-upstream --dry-run -n -q --quiet -v --verbose ' +
      '-d --delete --atomic --no-verify --prune --no-recurse-submodules',
    optional: '--force-with-lease',
    endOfOptions: false,
    maxValues: MANY,
    paths: false,
    remoteFirst: true,
  }),
  rule('rev-parse', {
    flags:
      '--verify -q --quiet --show-toplevel --show-prefix --show-cdup --is-inside-work-tree --is-bare-repository ' +
      '--symbolic --symbolic-full-name --abbrev-ref',
    optional: '--short',
    endOfOptions: false,
    maxValues: MANY,
    paths: false,
  }),
  rule('ls-files', {
    flags:
      '--cached -d --deleted -m --modified -o --others --exclude-standard -s --stage -u --unmerged -z ' +
      '--full-name --directory --no-empty-directory -t -v --eol',
    valued: '-x=--exclude',
    endOfOptions: true,
    maxValues: MANY,
    paths: true,
  }),
  rule('stash list', {
    flags: '--oneline --stat -p --patch --name-only',
    endOfOptions: false,
    maxValues: 0,
    paths: false,
  }),
  rule('remote', { flags: '-v --verbose', endOfOptions: false, maxValues: 0, paths: false }),
];

/**
 * Option spellings refused wherever they appear (outside a value bound to an allowed option):
 * they make git run programs or read configuration and repositories from elsewhere.
 */
export const GIT_REFUSED_OPTIONS: readonly string[] = [
  '-c',
  '-C',
  '--config',
  '--config-env',
  '--upload-pack',
  '--receive-pack',
  '--exec',
  '--git-dir',
  '--work-tree',
  '--namespace',
  '--super-prefix',
  '--exec-path',
  '--template',
  '--output',
  '--ext-diff',
  '--textconv',
  '--recurse-submodules',
];
