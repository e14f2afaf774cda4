import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';

/** The supervisor script, installed once per workspace and run with `sh`. */
export const SUPERVISE_SCRIPT: string = readFileSync(new URL('./supervise.sh', import.meta.url), 'utf8');

/** Hex SHA-256 of {@link SUPERVISE_SCRIPT}; a workspace whose copy differs gets it rewritten. */
export const SUPERVISE_SCRIPT_SHA256: string = createHash('sha256').update(SUPERVISE_SCRIPT).digest('hex');

/**
 * File name carrying the script's hash: a new version is installed under a new name, next to the
 * old one that running supervisors may still be reading. Its content is still compared before
 * every start, because commands in the workspace can write to it.
 */
export const SUPERVISE_SCRIPT_FILE_NAME = `supervise-${SUPERVISE_SCRIPT_SHA256.slice(0, 16)}.sh`;

/** Where the script lives inside a workspace. */
export function superviseScriptPath(workspaceRoot: string): string {
  return posix.join(absolute(workspaceRoot, 'workspaceRoot'), '.rdev', 'bin', SUPERVISE_SCRIPT_FILE_NAME);
}

/** The run folder of one command inside a workspace; the script's `remove` accepts only these. */
export function runDirectory(workspaceRoot: string, runId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(runId))
    throw new RangeError(`invalid run id ${JSON.stringify(runId)}`);
  return posix.join(absolute(workspaceRoot, 'workspaceRoot'), '.rdev', 'runs', runId);
}

/**
 * argv printing the installed script (at most `length` bytes), or exiting 3 when there is none:
 * the runtime compares it with this build's copy before every start.
 */
export function readScriptArgv(scriptPath: string, length: number): string[] {
  const text = '[ -f "$1" ] || exit 3; head -c "$2" "$1"';
  return ['sh', '-c', text, 'rdev-read', absolute(scriptPath, 'scriptPath'), String(count(length, 'length'))];
}

/**
 * argv installing the script at `scriptPath` from the next `length` bytes of stdin, for workspaces
 * that do not have it yet (so its own `write` is not available). Static text; the path and length
 * are positional parameters. The copy is renamed into place, so no reader sees half a script.
 */
export function installArgv(scriptPath: string, length: number): string[] {
  const text =
    'set -u; umask 077; p=$1; n=$2; t=$p.tmp.$$; mkdir -p "$3" || exit 1; ' +
    'head -c "$n" >"$t" || { rm -f "$t"; exit 1; }; ' +
    'if [ $(($(wc -c <"$t"))) -ne "$n" ]; then rm -f "$t"; echo "rdev-install: short input" >&2; exit 1; fi; ' +
    'mv -f "$t" "$p" || exit 1; ' +
    IGNORE_RUN_STATE;
  const path = absolute(scriptPath, 'scriptPath');
  const rdevDir = posix.dirname(posix.dirname(path));
  return [
    'sh',
    '-c',
    text,
    'rdev-install',
    path,
    String(count(length, 'length')),
    posix.dirname(path),
    rdevDir,
    posix.dirname(rdevDir),
  ];
}

/**
 * Keeps `.rdev/` (`$4`, in the workspace `$5`) out of `git add .`: a `.gitignore` of `*` inside it
 * covers any repository, including one created later, and the repository's own `info/exclude`
 * says so where people look. Both steps are idempotent and best effort: a read-only `.git` must
 * not stop commands from running.
 */
const IGNORE_RUN_STATE =
  '[ -e "$4/.gitignore" ] || printf "*\\n" >"$4/.gitignore" 2>/dev/null; ' +
  'x=$5/.git/info/exclude; if [ -d "$5/.git" ]; then ' +
  '{ mkdir -p "$5/.git/info" && { grep -qx "/.rdev/" "$x" 2>/dev/null || printf "/.rdev/\\n" >>"$x"; }; } 2>/dev/null; ' +
  'fi; exit 0';

export type SuperviseOperation =
  | 'start'
  | 'write'
  | 'input'
  | 'follow'
  | 'status'
  | 'kill'
  | 'stop'
  | 'remove';

/** Signals the script's `kill` operation accepts. */
export type SuperviseSignal = 'TERM' | 'KILL' | 'INT' | 'HUP' | 'QUIT' | 'USR1' | 'USR2';

/**
 * argv running one operation: `['sh', scriptPath, op, ...args]`. Everything is a separate argument,
 * so no value is ever interpreted by a shell. Prefer the typed builders below.
 */
export function superviseArgv(
  scriptPath: string,
  op: SuperviseOperation,
  ...args: ReadonlyArray<string | number>
): string[] {
  const argv = ['sh', absolute(scriptPath, 'scriptPath'), op, ...args.map(String)];
  for (const arg of argv) {
    // execve and the Kubernetes exec API both end arguments at NUL, silently truncating them.
    if (arg.includes('\0')) throw new RangeError('arguments cannot contain NUL characters');
  }
  return argv;
}

/** Starts `argv` in `cwd` once per run folder; prints a status line (`running PGID`, `exited code N`). */
export function startArgv(
  scriptPath: string,
  runDir: string,
  cwd: string,
  argv: readonly string[],
): string[] {
  if (argv.length === 0 || argv[0] === '') throw new RangeError('argv must name a program');
  return superviseArgv(scriptPath, 'start', absolute(runDir, 'runDir'), absolute(cwd, 'cwd'), ...argv);
}

/** Stores the next `length` bytes of stdin at `path` atomically; prints `wrote LENGTH`. */
export function writeArgv(scriptPath: string, path: string, length: number): string[] {
  return writeFilesArgv(scriptPath, [{ path, length }]);
}

/**
 * Stores consecutive pieces of stdin in several files with one invocation (one round trip on a
 * remote workspace); prints one `wrote LENGTH` line per file. Files are readable by their owner only.
 */
export function writeFilesArgv(
  scriptPath: string,
  files: ReadonlyArray<{ path: string; length: number }>,
): string[] {
  if (files.length === 0) throw new RangeError('at least one file is required');
  const args = files.flatMap(({ path, length }) => [absolute(path, 'path'), count(length, 'length')]);
  return superviseArgv(scriptPath, 'write', ...args);
}

/**
 * Stores the next `length` bytes of stdin at byte `offset` of an open-stdin run's input log, and
 * with `eof` closes the command's stdin after them; prints `appended SIZE`, `ended`, `not-open` or
 * `gap SIZE`. Repeating a call appends nothing twice.
 */
export function inputArgv(
  scriptPath: string,
  runDir: string,
  offset: number,
  length: number,
  eof: boolean,
): string[] {
  return superviseArgv(
    scriptPath,
    'input',
    absolute(runDir, 'runDir'),
    count(offset, 'offset'),
    count(length, 'length'),
    eof ? 1 : 0,
  );
}

export interface FollowOptions {
  /** Largest payload per frame (the script's default is 65536). */
  maxFrameBytes?: number;
  /** Seconds of silence before a heartbeat frame (the script's default is 10). */
  heartbeatSeconds?: number;
}

/** Streams frames from the given byte offsets until the exit (`X`) or lost (`L`) frame. */
export function followArgv(
  scriptPath: string,
  runDir: string,
  stdoutOffset: number,
  stderrOffset: number,
  options: FollowOptions = {},
): string[] {
  const args: Array<string | number> = [
    absolute(runDir, 'runDir'),
    count(stdoutOffset, 'stdoutOffset'),
    count(stderrOffset, 'stderrOffset'),
  ];
  if (options.maxFrameBytes !== undefined || options.heartbeatSeconds !== undefined) {
    args.push(positive(options.maxFrameBytes ?? 65536, 'maxFrameBytes'));
  }
  if (options.heartbeatSeconds !== undefined)
    args.push(positive(options.heartbeatSeconds, 'heartbeatSeconds'));
  return superviseArgv(scriptPath, 'follow', ...args);
}

/** Prints one status line, see `parseStatusLine`. */
export function statusArgv(scriptPath: string, runDir: string): string[] {
  return superviseArgv(scriptPath, 'status', absolute(runDir, 'runDir'));
}

/** Signals the command's whole process group; prints `signalled PGID`, `gone` or `not-started`. */
export function killArgv(scriptPath: string, runDir: string, signal: SuperviseSignal): string[] {
  return superviseArgv(scriptPath, 'kill', absolute(runDir, 'runDir'), signal);
}

/** TERM, up to `graceSeconds` for the group to end, then KILL; prints `gone` or `stopped TERM|KILL`. */
export function stopArgv(scriptPath: string, runDir: string, graceSeconds: number): string[] {
  return superviseArgv(scriptPath, 'stop', absolute(runDir, 'runDir'), count(graceSeconds, 'graceSeconds'));
}

/** Deletes a finished run folder; prints `removed` or `absent`, or exits 3 with `busy` while running. */
export function removeArgv(scriptPath: string, runDir: string): string[] {
  return superviseArgv(scriptPath, 'remove', absolute(runDir, 'runDir'));
}

function absolute(path: string, name: string): string {
  if (!posix.isAbsolute(path))
    throw new RangeError(`${name} must be an absolute path: ${JSON.stringify(path)}`);
  return path;
}

function count(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${name} must be a non-negative integer`);
  return value;
}

function positive(value: number, name: string): number {
  if (count(value, name) === 0) throw new RangeError(`${name} must be positive`);
  return value;
}
