import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseStatusLine, type SupervisorStatus } from '../../src/adapters/supervisor/exit-status.js';
import { type FollowEvent, FollowFrameParser } from '../../src/adapters/supervisor/follow-frame-parser.js';
import {
  type FollowOptions,
  followArgv,
  inputArgv,
  killArgv,
  removeArgv,
  runDirectory,
  SUPERVISE_SCRIPT,
  startArgv,
  statusArgv,
  stopArgv,
  superviseScriptPath,
  writeArgv,
  writeFilesArgv,
} from '../../src/adapters/supervisor/supervise-script.js';
import { liveGroupMembers } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

const SOURCE_SCRIPT = fileURLToPath(new URL('../../src/adapters/supervisor/supervise.sh', import.meta.url));

// Every program the script and the test commands need; the busybox variant gets nothing else on
// PATH, as in a minimal pod.
const BUSYBOX_APPLETS = [
  'sh',
  'setsid',
  'sleep',
  'head',
  'wc',
  'cat',
  'mkdir',
  'mv',
  'rm',
  'dd',
  'env',
  'mkfifo',
  'kill',
  'printf',
  'echo',
  'test',
  '[',
];

interface Variant {
  name: string;
  /** The `sh` that runs the script; also first on PATH so nested `sh` calls use the same shell. */
  shell: string;
  env: NodeJS.ProcessEnv;
  missing?: string;
}

function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

const root = mkdtempSync(join(tmpdir(), 'rdev-supervise-'));

function makeVariant(
  name: string,
  binary: string | undefined,
  applets: string[],
  onlyThese: boolean,
): Variant {
  const dir = join(root, `${name}-bin`);
  if (!binary)
    return { name, shell: '', env: {}, missing: `${name} is not installed (apt-get install ${name})` };
  mkdirSync(dir);
  for (const applet of applets) symlinkSync(binary, join(dir, applet));
  const path = onlyThese ? dir : `${dir}${delimiter}${process.env.PATH ?? ''}`;
  return { name, shell: join(dir, 'sh'), env: { PATH: path, HOME: root, LANG: 'C' } };
}

const variants: Variant[] =
  process.platform === 'linux'
    ? [
        makeVariant('dash', findExecutable('dash'), ['sh'], false),
        makeVariant('bash', findExecutable('bash'), ['sh'], false),
        makeVariant('busybox', findExecutable('busybox'), BUSYBOX_APPLETS, true),
      ]
    : [{ name: 'linux', shell: '', env: {}, missing: 'the supervisor needs Linux (/proc, setsid)' }];

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

interface Result {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

const children = new Set<ChildProcess>();
const runDirs = new Set<string>();

function spawnScript(variant: Variant, argv: string[]): ChildProcess {
  // argv[0] is `sh`: run the variant's shell instead.
  const child = spawn(variant.shell, argv.slice(1), { env: variant.env, stdio: 'pipe' });
  children.add(child);
  child.on('close', () => children.delete(child));
  return child;
}

function run(variant: Variant, argv: string[], input?: Buffer, keepStdinOpen = false): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawnScript(variant, argv);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }),
    );
    if (input) child.stdin?.write(input);
    if (!keepStdinOpen) child.stdin?.end();
  });
}

async function runOk(variant: Variant, argv: string[], input?: Buffer): Promise<string> {
  const result = await run(variant, argv, input);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout.toString();
}

interface Following {
  child: ChildProcess;
  events: FollowEvent[];
  /** Resolves with all events once the follow process exits. */
  closed: Promise<FollowEvent[]>;
  /** Resolves once `predicate` holds for the events received so far. */
  until(predicate: (events: FollowEvent[]) => boolean, timeoutMs?: number): Promise<void>;
}

function follow(variant: Variant, script: string, runDir: string, out = 0, err = 0, options?: FollowOptions) {
  const child = spawnScript(variant, followArgv(script, runDir, out, err, options));
  const parser = new FollowFrameParser();
  const events: FollowEvent[] = [];
  const waiters = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    events.push(...parser.push(chunk));
    for (const wake of waiters) wake();
  });
  const stderr: Buffer[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  const closed = new Promise<FollowEvent[]>((resolve) => child.on('close', () => resolve(events)));
  const following: Following = {
    child,
    events,
    closed: withTimeout(closed, 30_000, 'follow to finish').then((all) => {
      expect(Buffer.concat(stderr).toString()).toBe('');
      return all;
    }),
    until(predicate, timeoutMs = 5000) {
      return withTimeout(
        new Promise<void>((resolve) => {
          const check = () => {
            if (predicate(events)) {
              waiters.delete(check);
              resolve();
            }
          };
          waiters.add(check);
          check();
        }),
        timeoutMs,
        'follow events',
      );
    },
  };
  return following;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function stream(events: readonly FollowEvent[], kind: 'stdout' | 'stderr'): Buffer {
  return Buffer.concat(events.flatMap((event) => (event.kind === kind ? [event.data] : [])));
}

function last(events: readonly FollowEvent[]): FollowEvent | undefined {
  return events[events.length - 1];
}

function pgidOf(runDir: string): number {
  return Number(readFileSync(join(runDir, 'pid'), 'utf8').trim());
}

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  for (const runDir of runDirs) {
    if (!existsSync(join(runDir, 'pid'))) continue;
    try {
      process.kill(-pgidOf(runDir), 'SIGKILL');
    } catch {}
  }
  runDirs.clear();
});

describe.each(variants)('supervise.sh on $name', (variant) => {
  if (variant.missing) {
    if (process.env.CI) {
      it('has its shell installed', () => {
        throw new Error(`${variant.missing}: CI must provide it so that the supervisor is tested on it`);
      });
    } else {
      // Outside CI a developer's machine may lack dash or busybox; the supervisor is still tested
      // on the shells it has, and CI (which installs both) fails instead of skipping.
      it.skip(`on ${variant.name}: ${variant.missing}; install it to test the supervisor on this shell`, () => {});
    }
    return;
  }

  const workspace = join(root, `${variant.name}-ws`);
  const script = superviseScriptPath(workspace);
  let runCount = 0;

  function newRunDir(): string {
    runCount += 1;
    const runDir = runDirectory(workspace, `run-${runCount}`);
    runDirs.add(runDir);
    return runDir;
  }

  async function start(runDir: string, argv: string[], cwd = workspace): Promise<SupervisorStatus> {
    return parseStatusLine(await runOk(variant, startArgv(script, runDir, cwd, argv)));
  }

  async function status(runDir: string): Promise<SupervisorStatus> {
    return parseStatusLine(await runOk(variant, statusArgv(script, runDir)));
  }

  async function runToEnd(argv: string[], options?: FollowOptions) {
    const runDir = newRunDir();
    await start(runDir, argv);
    const events = await follow(variant, script, runDir, 0, 0, options).closed;
    return { runDir, events };
  }

  beforeAll(async () => {
    mkdirSync(workspace, { recursive: true });
    // Installs the script the way a workspace gets it: through `write`, content on stdin.
    const content = Buffer.from(SUPERVISE_SCRIPT);
    const installer = [SOURCE_SCRIPT, ...writeArgv(script, script, content.length).slice(2)];
    expect(await runOk(variant, ['sh', ...installer], content)).toBe(`wrote ${content.length}\n`);
    expect(readFileSync(script, 'utf8')).toBe(SUPERVISE_SCRIPT);
  });

  it('streams exact bytes, splits large frames and resumes from any offset', async () => {
    const big = randomBytes(200_000);
    big.fill(0, 1000, 1100);
    const small = Buffer.concat([randomBytes(5000), Buffer.from([0, 10, 0])]);
    writeFileSync(join(workspace, 'big.bin'), big);
    writeFileSync(join(workspace, 'small.bin'), small);
    const { runDir, events } = await runToEnd(['sh', '-c', 'cat big.bin; cat small.bin >&2; printf end']);

    const expectedOut = Buffer.concat([big, Buffer.from('end')]);
    expect(stream(events, 'stdout').equals(expectedOut)).toBe(true);
    expect(stream(events, 'stderr').equals(small)).toBe(true);
    for (const event of events)
      if (event.kind === 'stdout') expect(event.data.length).toBeLessThanOrEqual(65536);
    expect(last(events)).toEqual({ kind: 'exit', exitCode: 0, signal: null, reason: null, raw: 'code 0' });

    const resumed = await follow(variant, script, runDir, 123_457, 777, { maxFrameBytes: 1000 }).closed;
    expect(stream(resumed, 'stdout').equals(expectedOut.subarray(123_457))).toBe(true);
    expect(stream(resumed, 'stderr').equals(small.subarray(777))).toBe(true);
    for (const event of resumed)
      if (event.kind === 'stderr') expect(event.data.length).toBeLessThanOrEqual(1000);

    const atEnd = await follow(variant, script, runDir, expectedOut.length, small.length).closed;
    expect(atEnd.map((event) => event.kind)).toEqual(['exit']);
    const beyond = await follow(variant, script, runDir, expectedOut.length + 1, 0).closed;
    expect(beyond).toEqual([{ kind: 'lost', reason: 'bad-offset' }]);
  });

  it('follows interleaved stdout and stderr live', async () => {
    const runDir = newRunDir();
    // The rest of the output waits until the follower has shown the first of it: what is proved is
    // that output is followed as it is written, whatever the machine's load.
    const go = join(tmpdir(), `rdev-go-${randomBytes(6).toString('hex')}`);
    await start(runDir, [
      'sh',
      '-c',
      `printf "o1 "; printf "e1 " >&2; while [ ! -e '${go}' ]; do sleep 0.05; done
       for i in 2 3 4 5; do printf "o$i "; printf "e$i " >&2; sleep 0.05; done`,
    ]);
    const following = follow(variant, script, runDir);
    await following.until((events) => stream(events, 'stdout').toString() === 'o1 ', 20_000);
    writeFileSync(go, '');
    const events = await following.closed;
    expect(stream(events, 'stdout').toString()).toBe('o1 o2 o3 o4 o5 ');
    expect(stream(events, 'stderr').toString()).toBe('e1 e2 e3 e4 e5 ');
    expect(events.filter((event) => event.kind === 'stdout').length).toBeGreaterThan(1);
  });

  it('reports exit codes and signals', async () => {
    const { events } = await runToEnd(['sh', '-c', 'exit 7']);
    expect(last(events)).toMatchObject({ kind: 'exit', exitCode: 7, signal: null });

    const runDir = newRunDir();
    const started = await start(runDir, ['sleep', '30']);
    expect(started).toEqual({ state: 'running', pgid: pgidOf(runDir) });
    expect(await status(runDir)).toEqual(started);
    expect(await runOk(variant, killArgv(script, runDir, 'TERM'))).toBe(`signalled ${pgidOf(runDir)}\n`);
    const followed = await follow(variant, script, runDir).closed;
    expect(followed).toEqual([
      { kind: 'exit', exitCode: null, signal: 'SIGTERM', reason: null, raw: 'code 143' },
    ]);
    expect(await status(runDir)).toMatchObject({ state: 'exited', exit: { signal: 'SIGTERM' } });
    // The exit is on record a moment before the group's last process (the waiter) is reaped.
    const pgid = pgidOf(runDir);
    const groupGone = () => {
      try {
        process.kill(-pgid, 0);
        return false;
      } catch {
        return true;
      }
    };
    await waitFor(groupGone, 'the process group to be gone');
    expect(await runOk(variant, killArgv(script, runDir, 'KILL'))).toBe('gone\n');

    const interrupted = newRunDir();
    await start(interrupted, ['sleep', '30']);
    await runOk(variant, killArgv(script, interrupted, 'INT'));
    expect(last(await follow(variant, script, interrupted).closed)).toMatchObject({ signal: 'SIGINT' });
  });

  it('stop ends the whole process group, escalating to KILL after the grace period', async () => {
    const runDir = newRunDir();
    await start(runDir, ['sh', '-c', 'sleep 100 & sleep 100 & wait']);
    const pgid = pgidOf(runDir);
    await waitFor(() => liveGroupMembers(pgid).length === 3, 'the group to have three processes');
    expect(await runOk(variant, stopArgv(script, runDir, 2))).toBe('stopped TERM\n');
    expect(liveGroupMembers(pgid)).toEqual([]);
    expect(last(await follow(variant, script, runDir).closed)).toMatchObject({ signal: 'SIGTERM' });
    expect(await runOk(variant, stopArgv(script, runDir, 2))).toBe('gone\n');

    const stubborn = newRunDir();
    await start(stubborn, ['sh', '-c', 'trap "" TERM; sleep 100 & sleep 100 & wait']);
    const stubbornGroup = pgidOf(stubborn);
    await waitFor(() => liveGroupMembers(stubbornGroup).length === 3, 'the group to have three processes');
    expect(await runOk(variant, stopArgv(script, stubborn, 1))).toBe('stopped KILL\n');
    expect(liveGroupMembers(stubbornGroup)).toEqual([]);
    expect(last(await follow(variant, script, stubborn).closed)).toMatchObject({ signal: 'SIGKILL' });
  });

  it('starts a command at most once per run folder', async () => {
    const runDir = newRunDir();
    const marker = join(workspace, `once-${runCount}.txt`);
    const argv = startArgv(script, runDir, workspace, ['sh', '-c', 'echo ran >> "$1"', 'sh', marker]);
    const results = await Promise.all([run(variant, argv), run(variant, argv), run(variant, argv)]);
    for (const result of results) {
      expect(result.code).toBe(0);
      expect(['running', 'exited']).toContain(parseStatusLine(result.stdout.toString()).state);
    }
    await follow(variant, script, runDir).closed;
    const again = await start(runDir, ['sh', '-c', 'echo ran >> "$1"', 'sh', marker]);
    expect(again).toMatchObject({ state: 'exited', exit: { exitCode: 0 } });
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
  });

  it('passes argv literally', async () => {
    const args = ['; id', '$(id)', '`id`', 'a\nb', `"'"`, '-h', 'two  words', '', '*', '$HOME', '\\', '%s'];
    const { events } = await runToEnd(['printf', '%s\n', ...args]);
    expect(stream(events, 'stdout').toString()).toBe(args.map((arg) => `${arg}\n`).join(''));
    expect(stream(events, 'stderr').toString()).toBe('');
  });

  it('keeps running without its caller and survives a restarted follow', async () => {
    const runDir = newRunDir();
    await start(runDir, [
      'sh',
      '-c',
      'i=0; while [ $i -lt 12 ]; do echo line$i; i=$((i+1)); sleep 0.1; done',
    ]);
    // Start returned without waiting for the command: it is still running. (How fast the
    // supervisor starts is measured by `npm run bench`, not asserted here.)
    expect(await status(runDir)).toMatchObject({ state: 'running' });

    const first = follow(variant, script, runDir);
    await first.until((events) => stream(events, 'stdout').length > 0);
    first.child.kill('SIGKILL');
    await first.closed;
    const offset = stream(first.events, 'stdout').length;
    expect(await status(runDir)).toMatchObject({ state: 'running' });

    const second = await follow(variant, script, runDir, offset, 0).closed;
    const all = Buffer.concat([stream(first.events, 'stdout'), stream(second, 'stdout')]).toString();
    expect(all).toBe(Array.from({ length: 12 }, (_, i) => `line${i}\n`).join(''));
    expect(last(second)).toMatchObject({ kind: 'exit', exitCode: 0 });
  });

  it('reports a missing directory as 126 and a missing program as 127', async () => {
    const noCwd = newRunDir();
    expect(await start(noCwd, ['true'], join(workspace, 'no-such-dir'))).toMatchObject({
      state: 'exited',
      exit: { exitCode: 126, reason: 'no-cwd' },
    });
    const events = await follow(variant, script, noCwd).closed;
    expect(stream(events, 'stderr').toString()).toContain('no-such-dir');
    expect(last(events)).toMatchObject({ exitCode: 126, reason: 'no-cwd' });

    const { events: missing } = await runToEnd(['no-such-program-rdev', 'x']);
    expect(last(missing)).toMatchObject({ kind: 'exit', exitCode: 127 });
    expect(stream(missing, 'stderr').toString()).toContain('no-such-program-rdev');
  });

  it('reports lost runs', async () => {
    const gone = join(workspace, '.rdev', 'runs', 'never-created');
    expect(await follow(variant, script, gone).closed).toEqual([{ kind: 'lost', reason: 'no-run-dir' }]);
    expect(await status(gone)).toEqual({ state: 'lost', reason: 'no-run-dir' });

    const unstarted = newRunDir();
    mkdirSync(unstarted, { recursive: true });
    expect(await status(unstarted)).toEqual({ state: 'not-started' });
    expect(await follow(variant, script, unstarted).closed).toEqual([
      { kind: 'lost', reason: 'not-started' },
    ]);

    const orphan = newRunDir();
    await start(orphan, ['sh', '-c', 'echo before; sleep 30']);
    // The output is written before the waiter dies, however slowly the command starts.
    await waitFor(() => readFileSync(join(orphan, 'stdout'), 'utf8') === 'before\n', 'the command to write');
    const waiterPid = Number(readFileSync(join(orphan, 'waiter'), 'utf8').split(' ')[0]);
    process.kill(waiterPid, 'SIGKILL');
    await waitFor(
      () =>
        !existsSync(`/proc/${waiterPid}`) || /\) Z/.test(readFileSync(`/proc/${waiterPid}/stat`, 'latin1')),
      'the waiter to die',
    );
    expect(await status(orphan)).toEqual({ state: 'lost', reason: 'waiter-gone' });
    const events = await follow(variant, script, orphan).closed;
    expect(stream(events, 'stdout').toString()).toBe('before\n');
    expect(last(events)).toEqual({ kind: 'lost', reason: 'waiter-gone' });
  });

  it('delivers the stdin file, written through a stdin that never closes', async () => {
    const runDir = newRunDir();
    const input = Buffer.concat([Buffer.from('line one\n'), randomBytes(3000), Buffer.from([0, 0, 10])]);
    const write = await run(variant, writeArgv(script, join(runDir, 'stdin'), input.length), input, true);
    expect(write).toMatchObject({ code: 0, stderr: '' });
    expect(write.stdout.toString()).toBe(`wrote ${input.length}\n`);
    await start(runDir, ['cat']);
    const events = await follow(variant, script, runDir).closed;
    expect(stream(events, 'stdout').equals(input)).toBe(true);

    const short = await run(variant, writeArgv(script, join(workspace, 'short.txt'), 10), Buffer.from('abc'));
    expect(short.code).not.toBe(0);
    expect(short.stderr).toContain('short input');
    expect(existsSync(join(workspace, 'short.txt'))).toBe(false);
  });

  it('writes several files from one stdin and exports the env file to the command', async () => {
    const runDir = newRunDir();
    const input = Buffer.concat([Buffer.from('in\0put'), randomBytes(70_000)]);
    const env = Buffer.from(
      'GREETING=hi $(id) `id` "q"\nEMPTY=\n1BAD=x\nBAD-NAME=x\nnot an assignment\nLAST=no newline',
    );
    const files = [
      { path: join(runDir, 'stdin'), length: input.length },
      { path: join(runDir, 'env'), length: env.length },
      { path: join(runDir, 'nothing'), length: 0 },
    ];
    const write = await run(variant, writeFilesArgv(script, files), Buffer.concat([input, env]), true);
    expect(write).toMatchObject({ code: 0, stderr: '' });
    expect(write.stdout.toString()).toBe(`wrote ${input.length}\nwrote ${env.length}\nwrote 0\n`);
    expect(readFileSync(join(runDir, 'env')).equals(env)).toBe(true);
    expect(readFileSync(join(runDir, 'nothing')).length).toBe(0);
    expect(statSync(join(runDir, 'stdin')).mode & 0o777).toBe(0o600);
    await start(runDir, [
      'sh',
      '-c',
      `wc -c; printf "%s|%s|%s|" "$GREETING" "\${EMPTY-unset}" "$LAST"; case "$(env)" in *BAD*) echo bad ;; *) echo 0 ;; esac`,
    ]);
    const events = await follow(variant, script, runDir).closed;
    expect(stream(events, 'stdout').toString().replace(/^ +/, '')).toBe(
      `${input.length}\nhi $(id) \`id\` "q"||no newline|0\n`,
    );

    const relative = writeFilesArgv(script, files.slice(0, 2)).map((arg) =>
      arg === files[1]!.path ? 'relative' : arg,
    );
    const bad = await run(variant, relative);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('absolute');
  });

  it('deletes the env and stdin files once the command holds them, in an owner-only run folder', async () => {
    const runDir = newRunDir();
    const input = Buffer.from('a prompt that must not rest on disk\n');
    const env = Buffer.from('TOKEN=s3cret\n');
    const files = [
      { path: join(runDir, 'stdin'), length: input.length },
      { path: join(runDir, 'env'), length: env.length },
    ];
    expect((await run(variant, writeFilesArgv(script, files), Buffer.concat([input, env]), true)).code).toBe(
      0,
    );
    // The command looks at its own run folder while it runs: what any later command could read.
    await start(runDir, ['sh', '-c', 'ls "$1"; printf "%s|" "$TOKEN"; cat', 'sh', runDir]);
    const out = stream(await follow(variant, script, runDir).closed, 'stdout').toString();
    expect(out.split('\n')).not.toContain('env');
    expect(out.split('\n')).not.toContain('stdin');
    expect(out).toContain(`s3cret|${input.toString()}`);
    expect(existsSync(join(runDir, 'env'))).toBe(false);
    expect(existsSync(join(runDir, 'stdin'))).toBe(false);
    // A retried start does not bring the file back, and runs nothing again.
    expect((await start(runDir, ['false'])).state).toBe('exited');
    expect(existsSync(join(runDir, 'stdin'))).toBe(false);

    const bare = newRunDir();
    await start(bare, ['true']);
    await follow(variant, script, bare).closed;
    expect(statSync(bare).mode & 0o777).toBe(0o700);
    expect(statSync(join(bare, 'stdout')).mode & 0o777).toBe(0o600);
    // The command itself keeps the caller's umask: files it makes are not owner-only.
    const made = join(workspace, `made-${runCount}`);
    await runToEnd(['sh', '-c', 'umask > "$1"', 'sh', made]);
    expect(readFileSync(made, 'utf8').trim()).toMatch(
      new RegExp(`^0*${(process.umask() & 0o777).toString(8)}$`),
    );
  });

  it('keeps stdin open: appends input at offsets once, in order, and closes it at eof', async () => {
    const runDir = newRunDir();
    const files = [{ path: join(runDir, 'stdin-open'), length: 0 }];
    expect((await run(variant, writeFilesArgv(script, files))).code).toBe(0);
    const input = (offset: number, data: Buffer, eof = false) =>
      runOk(variant, inputArgv(script, runDir, offset, data.length, eof), data);
    // Before the start there is no input log: nothing is taken.
    expect(await input(0, Buffer.from('early'))).toBe('not-open\n');
    expect((await start(runDir, ['cat'])).state).toBe('running');
    const following = follow(variant, script, runDir);
    const first = Buffer.concat([randomBytes(5000), Buffer.from([0, 10, 255])]);
    expect(await input(0, first)).toBe(`appended ${first.length}\n`);
    await following.until((events) => stream(events, 'stdout').length >= first.length);
    // A repeat of the same piece (a retry, another replica) is not delivered again; one that
    // overlaps what is there adds only its new part.
    expect(await input(0, first)).toBe(`appended ${first.length}\n`);
    const second = randomBytes(70_000);
    const overlap = Buffer.concat([first.subarray(4000), second.subarray(0, 100)]);
    expect(await input(4000, overlap)).toBe(`appended ${first.length + 100}\n`);
    // A piece past the end would leave a hole: refused, with the size there is.
    expect(await input(first.length + 200, Buffer.from('x'))).toBe(`gap ${first.length + 100}\n`);
    expect(await input(first.length, second, true)).toBe(`appended ${first.length + second.length}\n`);
    const events = await following.closed;
    expect(stream(events, 'stdout').equals(Buffer.concat([first, second]))).toBe(true);
    expect(last(events)).toMatchObject({ kind: 'exit', exitCode: 0 });
    // Input does not rest in the folder after the command, and more of it is refused.
    expect(existsSync(join(runDir, 'input'))).toBe(false);
    expect(await input(first.length + second.length, Buffer.from('late'))).toBe('ended\n');
  });

  it('stops feeding when the command closes its stdin or is stopped', async () => {
    const runDir = newRunDir();
    expect(
      (await run(variant, writeFilesArgv(script, [{ path: join(runDir, 'stdin-open'), length: 0 }]))).code,
    ).toBe(0);
    // The command reads one line and then ignores its stdin while it runs on.
    await start(runDir, ['sh', '-c', 'read line; echo "got $line"; exec 0<&-; sleep 30']);
    const following = follow(variant, script, runDir);
    expect(await runOk(variant, inputArgv(script, runDir, 0, 6, false), Buffer.from('hello\n'))).toBe(
      'appended 6\n',
    );
    await following.until((events) => stream(events, 'stdout').toString() === 'got hello\n');
    const more = randomBytes(200_000);
    expect(await runOk(variant, inputArgv(script, runDir, 6, more.length, false), more)).toBe(
      `appended ${6 + more.length}\n`,
    );
    expect(await runOk(variant, stopArgv(script, runDir, 5))).toMatch(/^stopped TERM\n$/);
    const events = await following.closed;
    expect(last(events)).toMatchObject({ kind: 'exit', signal: 'SIGTERM' });
    // The feeder is gone with the command: nothing of the waiter's session is left.
    await waitFor(() => !existsSync(join(runDir, 'input.fifo')), 'the FIFO to go', 5000);
  });

  it('sends heartbeats while the command is silent', async () => {
    // The command stays silent until the follower has sent a heartbeat, however long that takes
    // on a busy machine; then it prints and ends.
    const runDir = newRunDir();
    const go = join(tmpdir(), `rdev-go-${randomBytes(6).toString('hex')}`);
    await start(runDir, ['sh', '-c', `while [ ! -e '${go}' ]; do sleep 0.1; done; printf done`]);
    const following = follow(variant, script, runDir, 0, 0, { heartbeatSeconds: 1 });
    await following.until((events) => events.some((event) => event.kind === 'heartbeat'), 20_000);
    writeFileSync(go, '');
    const kinds = (await following.closed).map((event) => event.kind);
    expect(kinds.slice(-2)).toEqual(['stdout', 'exit']);
    expect(kinds.slice(0, -2)).toContain('heartbeat');
    expect(new Set(kinds.slice(0, -2))).toEqual(new Set(['heartbeat']));
  });

  it('removes finished run folders only', async () => {
    const outside = await run(variant, removeArgv(script, workspace));
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain('refusing');
    const sneaky = await run(variant, removeArgv(script, join(workspace, '.rdev/runs/x/../../bin')));
    expect(sneaky.code).toBe(2);

    const runDir = newRunDir();
    await start(runDir, ['sleep', '30']);
    expect(await run(variant, removeArgv(script, runDir))).toMatchObject({ code: 3 });
    await runOk(variant, killArgv(script, runDir, 'KILL'));
    await follow(variant, script, runDir).closed;
    expect(await runOk(variant, removeArgv(script, runDir))).toBe('removed\n');
    expect(existsSync(runDir)).toBe(false);
    expect(await runOk(variant, removeArgv(script, runDir))).toBe('absent\n');
  });
});
