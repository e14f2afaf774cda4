import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPERVISE_SCRIPT, superviseScriptPath } from '../../src/adapters/supervisor/supervise-script.js';
import type {
  SupervisorRuntime,
  TamperedScriptReport,
} from '../../src/adapters/supervisor/supervisor-runtime.js';
import { claudeArgv } from '../../src/domain/claude-argv.js';
import { ClaudeStreamReader } from '../../src/domain/claude-stream.js';
import type { OutputOffsets } from '../../src/domain/command-run.js';
import { ValidationError } from '../../src/domain/errors.js';
import { type OutputChunk, OutputChunker } from '../../src/domain/output-chunker.js';
import type { FollowEvent } from '../../src/ports/workspace-runtime.js';
import { liveGroupMembers } from '../support/processes.js';
import { testRandom } from '../support/random.js';
import { RUNTIME_KINDS, type RuntimeHarness, startRuntimeHarness } from '../support/runtime-harness.js';
import { waitFor } from '../support/wait.js';

let nextId = 0;
const newId = () => `cmd-${process.pid}-${++nextId}`;

/** Follows to the end, the way the command service does: chunk, store, resume from stored offsets. */
async function followToEnd(
  runtime: SupervisorRuntime,
  h: RuntimeHarness,
  commandId: string,
  options: { dropAfterEvents?: number[] } = {},
) {
  const drops = [...(options.dropAfterEvents ?? [])];
  const stored: OutputChunk[] = [];
  let offsets: OutputOffsets = { stdoutOffset: 0, stderrOffset: 0 };
  let final: FollowEvent | undefined;
  let follows = 0;
  while (!final || final.type === 'dropped') {
    follows++;
    if (follows > 20) throw new Error('too many follows');
    const chunker = new OutputChunker({ maxChunkBytes: 1000, offsets });
    let seen = 0;
    const dropAt = drops.shift();
    final = undefined;
    for await (const event of runtime.follow(h.target, commandId, offsets)) {
      if (event.type === 'stdout' || event.type === 'stderr') {
        stored.push(...chunker.push(event.type, event.data));
        // Stored in one transaction with the chunks: where the next follow starts.
        offsets = chunker.offsets();
        seen++;
        if (seen === dropAt) h.dropFollowStreams();
      } else if (event.type !== 'heartbeat') {
        final = event;
      }
    }
    if (final?.type === 'exit' || final?.type === 'lost') stored.push(...chunker.flush());
    expect(final, 'every follow ends with a final event').toBeDefined();
  }
  const text = (stream: 'stdout' | 'stderr') =>
    stored
      .filter((c) => c.stream === stream)
      .map((c) => c.data)
      .join('');
  return { final, stdout: text('stdout'), stderr: text('stderr'), follows, chunks: stored };
}

async function startOne(runtime: SupervisorRuntime, argv: string[], env?: Record<string, string>) {
  const id = newId();
  await runtime.start(harnessTarget!, { commandId: id, argv, ...(env ? { env } : {}) });
  return { id };
}
let harnessTarget: RuntimeHarness['target'] | undefined;

describe.each(RUNTIME_KINDS)('SupervisorRuntime (%s)', (kind) => {
  let h: RuntimeHarness;
  let runtime: SupervisorRuntime;

  beforeAll(async () => {
    h = await startRuntimeHarness(kind);
    harnessTarget = h.target;
    runtime = h.runtime();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('installs the supervisor on first use and again when it is gone', async () => {
    const script = superviseScriptPath(h.workspace);
    const id = newId();
    expect(await runtime.start(h.target, { commandId: id, argv: ['true'] })).toMatchObject({
      state: expect.stringMatching(/running|exited/),
    });
    expect(readFileSync(script, 'utf8')).toBe(SUPERVISE_SCRIPT);
    rmSync(join(h.workspace, '.rdev', 'bin'), { recursive: true });
    expect((await followToEnd(runtime, h, id)).final).toEqual({
      type: 'exit',
      exitCode: 0,
      signal: null,
      reason: null,
    });
    expect(existsSync(script)).toBe(true);
  });

  it('rewrites a tampered supervisor script before the next start and reports it', async () => {
    const reports: TamperedScriptReport[] = [];
    const watched = h.runtime({ onScriptTampered: (report) => void reports.push(report) });
    const script = superviseScriptPath(h.workspace);
    await followToEnd(watched, h, (await startOne(watched, ['true'])).id);
    expect(reports).toEqual([]);
    // A command of the workspace edits the script to copy every later command's environment.
    const leak = join(h.workspace, `leaked-env-${process.pid}`);
    const tampered = SUPERVISE_SCRIPT.replace(
      '  shift\n  put "$d/pid" "$$" || exit 125\n',
      `  shift\n  cat "$d/env" >>'${leak}' 2>/dev/null\n  put "$d/pid" "$$" || exit 125\n`,
    );
    expect(tampered).not.toBe(SUPERVISE_SCRIPT);
    writeFileSync(script, tampered);
    const { id } = await startOne(watched, ['true'], { TOKEN: 's3cret' });
    await followToEnd(watched, h, id);
    expect(existsSync(leak)).toBe(false);
    expect(readFileSync(script, 'utf8')).toBe(SUPERVISE_SCRIPT);
    expect(reports).toEqual([
      expect.objectContaining({
        path: script,
        foundSha256: createHash('sha256').update(tampered).digest('hex'),
        foundBytes: Buffer.byteLength(tampered),
      }),
    ]);
  });

  it('reassembles 10,000 numbered lines byte for byte across dropped follow streams', async () => {
    const id = newId();
    const script =
      'i=1; while [ $i -le 10000 ]; do echo "line $i é€😀"; ' +
      'if [ $((i % 500)) -eq 0 ]; then sleep 0.02; echo "progress $i" >&2; fi; i=$((i + 1)); done';
    const small = h.runtime({ maxFrameBytes: 4096 });
    await small.start(h.target, { commandId: id, argv: ['sh', '-c', script] });
    const seed = testRandom('follow drop points').int(0, 999);
    const dropAfterEvents = [1 + (seed % 7), 2 + (seed % 11), 3 + (seed % 5)];
    const result = await followToEnd(small, h, id, { dropAfterEvents });
    const expected = Array.from({ length: 10_000 }, (_, i) => `line ${i + 1} é€😀\n`).join('');
    const runDir = join(h.workspace, '.rdev', 'runs', id);
    expect(result.stdout === expected, `seed ${seed}: stdout differs`).toBe(true);
    expect(Buffer.from(result.stdout).equals(readFileSync(join(runDir, 'stdout')))).toBe(true);
    expect(result.stderr).toBe(Array.from({ length: 20 }, (_, i) => `progress ${(i + 1) * 500}\n`).join(''));
    expect(result.final).toEqual({ type: 'exit', exitCode: 0, signal: null, reason: null });
    expect(result.follows, `seed ${seed}`).toBeGreaterThanOrEqual(2);
    for (const chunk of result.chunks) expect(Buffer.byteLength(chunk.data)).toBeLessThanOrEqual(1000);
  });

  it('reports exit codes, signals and a missing working directory', async () => {
    const run = async (argv: string[], cwd?: string) => {
      const id = newId();
      await runtime.start(h.target, { commandId: id, argv, cwd });
      return (await followToEnd(runtime, h, id)).final;
    };
    expect(await run(['sh', '-c', 'exit 7'])).toEqual({
      type: 'exit',
      exitCode: 7,
      signal: null,
      reason: null,
    });
    expect(await run(['sh', '-c', 'kill -TERM $$'])).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
    expect(await run(['sh', '-c', 'kill -KILL $$'])).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    expect(await run(['no-such-program-rdev'])).toMatchObject({ exitCode: 127 });
    expect(await run(['true'], 'missing/dir')).toEqual({
      type: 'exit',
      exitCode: 126,
      signal: null,
      reason: 'no-cwd',
    });
    mkdirSync(join(h.workspace, 'sub'), { recursive: true });
    const id = newId();
    await runtime.start(h.target, { commandId: id, argv: ['pwd'], cwd: 'sub' });
    expect((await followToEnd(runtime, h, id)).stdout).toBe(`${join(h.workspace, 'sub')}\n`);
  });

  it('stops the whole process group: TERM, then KILL after the grace period', async () => {
    const id = newId();
    const started = await runtime.start(h.target, {
      commandId: id,
      argv: ['sh', '-c', 'sleep 100 & sleep 100 & wait'],
    });
    if (started.state !== 'running') throw new Error(`not running: ${JSON.stringify(started)}`);
    await waitFor(() => liveGroupMembers(started.pgid).length === 3, 'three processes in the group');
    expect(await runtime.status(h.target, id)).toEqual(started);
    expect(await runtime.stop(h.target, id, 5)).toBe('stopped-term');
    expect(liveGroupMembers(started.pgid)).toEqual([]);
    expect((await followToEnd(runtime, h, id)).final).toMatchObject({ type: 'exit', signal: 'SIGTERM' });
    expect(await runtime.stop(h.target, id, 5)).toBe('gone');

    const stubborn = newId();
    const trapped = await runtime.start(h.target, {
      commandId: stubborn,
      argv: ['sh', '-c', 'trap "" TERM; sleep 100 & sleep 100 & wait'],
    });
    if (trapped.state !== 'running') throw new Error('not running');
    await waitFor(() => liveGroupMembers(trapped.pgid).length === 3, 'three processes in the group');
    expect(await runtime.stop(h.target, stubborn, 1)).toBe('stopped-kill');
    expect(liveGroupMembers(trapped.pgid)).toEqual([]);
    expect(await runtime.stop(h.target, newId(), 1)).toBe('not-started');
  });

  it('starts a command once however often start is called', async () => {
    const id = newId();
    const marker = join(h.workspace, `${id}.marker`);
    const spec = { commandId: id, argv: ['sh', '-c', 'echo ran >> "$1"; sleep 0.2', 'sh', marker] };
    const states = await Promise.all([runtime.start(h.target, spec), runtime.start(h.target, spec)]);
    for (const state of states) expect(['running', 'exited']).toContain(state.state);
    await followToEnd(runtime, h, id);
    expect(await runtime.start(h.target, spec)).toMatchObject({ state: 'exited', exit: { exitCode: 0 } });
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
  });

  it('delivers stdin bytes and environment values exactly', async () => {
    const id = newId();
    const stdin = Buffer.concat([Buffer.from('first line\n'), randomBytes(100_000), Buffer.from([0, 0, 10])]);
    await runtime.start(h.target, { commandId: id, argv: ['cat'], stdin });
    await followToEnd(runtime, h, id);
    expect(readFileSync(join(h.workspace, '.rdev', 'runs', id, 'stdout')).equals(stdin)).toBe(true);

    const envId = newId();
    const value = `hello $(id) \`id\` ; "quoted" 'single' \\ $HOME`;
    await runtime.start(h.target, {
      commandId: envId,
      argv: ['sh', '-c', 'printf "%s|%s" "$GREETING" "$EMPTY"'],
      env: { GREETING: value, EMPTY: '' },
    });
    expect((await followToEnd(runtime, h, envId)).stdout).toBe(`${value}|`);
  });

  it('passes injection attempts to the program literally', async () => {
    const id = newId();
    const args = [
      '; id',
      '$(id)',
      '`id`',
      'a\nb',
      '--upload-pack=touch pwned',
      '-h',
      `"'"`,
      '*',
      '$HOME',
      '',
      '%s',
    ];
    await runtime.start(h.target, { commandId: id, argv: ['printf', '%s\\n', ...args] });
    const result = await followToEnd(runtime, h, id);
    expect(result.stdout).toBe(args.map((arg) => `${arg}\n`).join(''));
    expect(result.stderr).toBe('');
    expect(existsSync(join(h.workspace, 'pwned'))).toBe(false);
  });

  it('refuses bad ids, working directories, environment names and NUL before touching the workspace', async () => {
    const bad = [
      { commandId: '../escape', argv: ['true'] },
      { commandId: newId(), argv: ['true'], cwd: '../..' },
      { commandId: newId(), argv: ['true'], env: { 'A;B': 'x' } },
      { commandId: newId(), argv: ['echo', 'a\0b'] },
      { commandId: newId(), argv: [] },
    ];
    for (const spec of bad)
      await expect(runtime.start(h.target, spec)).rejects.toBeInstanceOf(ValidationError);
    expect(() => runtime.follow(h.target, '../x', { stdoutOffset: 0, stderrOffset: 0 })).toThrow(
      ValidationError,
    );
  });

  it('reports a run whose folder was deleted as lost', async () => {
    const id = newId();
    const started = await runtime.start(h.target, {
      commandId: id,
      argv: ['sh', '-c', 'echo before; sleep 30'],
    });
    if (started.state !== 'running') throw new Error('not running');
    const runDir = join(h.workspace, '.rdev', 'runs', id);
    await waitFor(() => readFileSync(join(runDir, 'stdout'), 'utf8') === 'before\n', 'first output');
    rmSync(runDir, { recursive: true, force: true });
    expect((await followToEnd(runtime, h, id)).final).toEqual({ type: 'lost', reason: 'no-run-dir' });
    expect(await runtime.status(h.target, id)).toEqual({ state: 'lost', reason: 'no-run-dir' });
    process.kill(-started.pgid, 'SIGKILL');
    expect(await runtime.status(h.target, newId())).toEqual({ state: 'lost', reason: 'no-run-dir' });
  });

  it('removes finished runs only', async () => {
    const id = newId();
    await runtime.start(h.target, { commandId: id, argv: ['sleep', '30'] });
    expect(await runtime.remove(h.target, id)).toBe('busy');
    await runtime.stop(h.target, id, 0);
    await followToEnd(runtime, h, id);
    expect(await runtime.remove(h.target, id)).toBe('removed');
    expect(existsSync(join(h.workspace, '.rdev', 'runs', id))).toBe(false);
    expect(await runtime.remove(h.target, id)).toBe('absent');
  });

  it('runs the fake claude with the prompt on stdin and parses its stream', async () => {
    const run = async (prompt: string) => {
      const id = newId();
      await runtime.start(h.target, {
        commandId: id,
        argv: claudeArgv({ maxTurns: 3 }),
        stdin: Buffer.from(prompt),
      });
      const result = await followToEnd(runtime, h, id);
      const reader = new ClaudeStreamReader();
      const messages = [...reader.push(result.stdout), ...reader.flush()];
      return { result, reader, messages };
    };
    const ok = await run('Summarise the README.');
    expect(ok.result.final).toMatchObject({ type: 'exit', exitCode: 0 });
    expect(ok.messages.map((m) => m.type)).toEqual([
      'system',
      'assistant',
      'assistant',
      'user',
      'assistant',
      'result',
    ]);
    expect(ok.reader.tracker.session).toMatchObject({
      costUsd: 0.0123,
      numTurns: 2,
      sessionId: expect.any(String),
    });
    expect(ok.reader.tracker.outcome()).toMatchObject({
      succeeded: true,
      result: 'Done. You asked: Summarise the README.',
    });

    const prompt = '[fake:argv] $(id) `id` ; rm -rf / \n--resume=x -h';
    const echoed = await run(prompt);
    const answer = JSON.parse(echoed.reader.tracker.outcome().result ?? '{}');
    expect(answer).toEqual({ argv: claudeArgv({ maxTurns: 3 }).slice(1), prompt, cwd: h.workspace });

    const failed = await run('[fake:is_error] hello');
    expect(failed.result.final).toMatchObject({ exitCode: 1 });
    expect(failed.reader.tracker.outcome()).toMatchObject({ succeeded: false });

    const long = await run('[fake:long_line]');
    const tool = long.messages.find((m) => m.type === 'user');
    const content = (tool!.message as { content: Array<{ content: string }> }).content[0]!.content;
    expect(content.length).toBeGreaterThan(1_500_000);
    expect(content.endsWith('end')).toBe(true);
    expect(long.reader.tracker.outcome().succeeded).toBe(true);
  });
});
