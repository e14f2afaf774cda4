import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SupervisorProtocolError } from '../../src/adapters/supervisor/follow-frame-parser.js';
import { SUPERVISE_SCRIPT_FILE_NAME } from '../../src/adapters/supervisor/supervise-script.js';
import { SupervisorRuntime } from '../../src/adapters/supervisor/supervisor-runtime.js';
import type { ExecOutcome, ExecProcess, ExecTransport } from '../../src/ports/exec-transport.js';
import type { FollowEvent, WorkspaceTarget } from '../../src/ports/workspace-runtime.js';

/** A transport whose programs print what the test says, for stream behaviour a real one cannot stage. */
class ScriptedTransport implements ExecTransport {
  readonly calls: string[][] = [];
  readonly closed: number[] = [];

  constructor(
    private readonly script: (argv: string[], index: number) => { out: PassThrough; outcome?: ExecOutcome },
  ) {}

  async exec(_target: WorkspaceTarget, argv: readonly string[]): Promise<ExecProcess> {
    const index = this.calls.push([...argv]) - 1;
    const { out, outcome } = this.script([...argv], index);
    let settle!: (o: ExecOutcome) => void;
    const done = new Promise<ExecOutcome>((resolve) => {
      settle = resolve;
    });
    out.on('end', () => settle(outcome ?? { kind: 'exited', exitCode: 0, stderr: '' }));
    return {
      stdout: out,
      done,
      close: () => {
        this.closed.push(index);
        settle({ kind: 'dropped', message: 'closed by the caller', stderr: '' });
        out.end();
      },
    };
  }
}

const target: WorkspaceTarget = { projectName: 'demo', workspacePath: '/ws' };
const offsets = { stdoutOffset: 0, stderrOffset: 0 };

async function all(events: AsyncIterable<FollowEvent>): Promise<FollowEvent[]> {
  const out: FollowEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

describe('SupervisorRuntime.follow', () => {
  it('drops a stream that stays silent past the idle timeout', async () => {
    const out = new PassThrough();
    const transport = new ScriptedTransport(() => ({ out }));
    out.write('O 2\nhi');
    const runtime = new SupervisorRuntime({ transport, followIdleTimeoutMs: 100 });
    const events = await all(runtime.follow(target, 'c1', { stdoutOffset: 5, stderrOffset: 0 }));
    expect(events).toEqual([
      { type: 'stdout', data: Buffer.from('hi'), offset: 7 },
      { type: 'dropped', reason: 'no data for 100 ms' },
    ]);
    expect(transport.closed).toEqual([0]);
  });

  it('does not count the time a slow consumer takes against the stream', async () => {
    const out = new PassThrough();
    out.write('O 1\na');
    const runtime = new SupervisorRuntime({
      transport: new ScriptedTransport(() => ({ out })),
      followIdleTimeoutMs: 80,
    });
    const events: FollowEvent[] = [];
    for await (const event of runtime.follow(target, 'c1', offsets)) {
      events.push(event);
      await new Promise((resolve) => setTimeout(resolve, 200));
      // The next frame arrives at once when asked for; only the consumer was slow.
      if (event.type === 'stdout') out.end('X code 0\n');
    }
    expect(events.map((e) => e.type)).toEqual(['stdout', 'exit']);
  });

  it('ends without a final event when aborted, and lets go of the connection', async () => {
    const out = new PassThrough();
    const transport = new ScriptedTransport(() => ({ out }));
    const controller = new AbortController();
    out.write('H\n');
    const events: FollowEvent[] = [];
    for await (const event of new SupervisorRuntime({ transport }).follow(
      target,
      'c1',
      offsets,
      controller.signal,
    )) {
      events.push(event);
      controller.abort();
    }
    expect(events).toEqual([{ type: 'heartbeat' }]);
    expect(transport.closed).toEqual([0]);
  });

  it('closes the connection when the consumer stops early', async () => {
    const out = new PassThrough();
    out.write('O 1\na');
    const transport = new ScriptedTransport(() => ({ out }));
    for await (const event of new SupervisorRuntime({ transport }).follow(target, 'c1', offsets)) {
      expect(event.type).toBe('stdout');
      break;
    }
    expect(transport.closed).toEqual([0]);
  });

  it('reports an early end with the follow program’s error, and throws on a corrupt stream', async () => {
    const early = new PassThrough();
    early.end('O 1\na');
    const outcome: ExecOutcome = { kind: 'exited', exitCode: 1, stderr: 'supervise: boom\nmore' };
    const dropped = await all(
      new SupervisorRuntime({ transport: new ScriptedTransport(() => ({ out: early, outcome })) }).follow(
        target,
        'c1',
        offsets,
      ),
    );
    expect(dropped.at(-1)).toEqual({
      type: 'dropped',
      reason: 'the follow ended with exit code 1: supervise: boom',
    });

    const corrupt = new PassThrough();
    corrupt.end('Q what\n');
    const runtime = new SupervisorRuntime({ transport: new ScriptedTransport(() => ({ out: corrupt })) });
    await expect(all(runtime.follow(target, 'c1', offsets))).rejects.toBeInstanceOf(SupervisorProtocolError);
  });

  it('installs the script and follows again when the workspace lacks it', async () => {
    const transport = new ScriptedTransport((argv, index) => {
      const out = new PassThrough();
      if (index === 0) {
        out.end();
        return {
          out,
          outcome: {
            kind: 'exited',
            exitCode: 2,
            stderr: `sh: can't open '/ws/.rdev/bin/${SUPERVISE_SCRIPT_FILE_NAME}'`,
          },
        };
      }
      out.end(argv[1] === '-c' ? '' : 'L no-run-dir\n');
      return { out };
    });
    const events = await all(new SupervisorRuntime({ transport }).follow(target, 'c1', offsets));
    expect(events).toEqual([{ type: 'lost', reason: 'no-run-dir' }]);
    expect(transport.calls.map((argv) => (argv[1] === '-c' ? 'install' : argv[2]))).toEqual([
      'follow',
      'install',
      'follow',
    ]);
  });
});
