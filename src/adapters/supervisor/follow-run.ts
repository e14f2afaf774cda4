import type { OutputOffsets } from '../../domain/command-run.js';
import type { ExecProcess, ExecTransport } from '../../ports/exec-transport.js';
import type { FollowEvent, WorkspaceTarget } from '../../ports/workspace-runtime.js';
import { FollowFrameParser } from './follow-frame-parser.js';
import { followArgv } from './supervise-script.js';

export interface FollowRunOptions {
  transport: ExecTransport;
  target: WorkspaceTarget;
  scriptPath: string;
  runDir: string;
  offsets: OutputOffsets;
  maxFrameBytes: number;
  heartbeatSeconds: number;
  /** Silence (no frame at all) after which the stream counts as dead. */
  idleTimeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Whether a follow that ended without a frame failed because the script is not installed. */
  scriptMissing(result: { exitCode: number; stderr: string }): boolean;
  install(): Promise<void>;
}

/**
 * One follow stream: `supervise.sh follow` decoded into port events with running offsets. Ends
 * with `exit`, `lost` or `dropped`; or silently when aborted or when the consumer stops. Closing
 * the stream never touches the command.
 */
export async function* followRun(options: FollowRunOptions): AsyncGenerator<FollowEvent, void, undefined> {
  const { transport, target, signal } = options;
  let { stdoutOffset, stderrOffset } = options.offsets;
  const argv = followArgv(options.scriptPath, options.runDir, stdoutOffset, stderrOffset, {
    maxFrameBytes: options.maxFrameBytes,
    heartbeatSeconds: options.heartbeatSeconds,
  });
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) return;
    const proc = await transport.exec(target, argv);
    const parser = new FollowFrameParser({ maxFrameBytes: options.maxFrameBytes });
    const watchdog = new Watchdog(proc, options.idleTimeoutMs);
    const onAbort = () => proc.close();
    signal?.addEventListener('abort', onAbort, { once: true });
    let framed = false;
    let ended = false;
    try {
      for await (const chunk of proc.stdout) {
        // Only time spent waiting for the workspace counts; a consumer may take its time.
        watchdog.stop();
        for (const frame of parser.push(chunk)) {
          framed = true;
          switch (frame.kind) {
            case 'stdout':
              stdoutOffset += frame.data.length;
              yield { type: 'stdout', data: frame.data, offset: stdoutOffset };
              break;
            case 'stderr':
              stderrOffset += frame.data.length;
              yield { type: 'stderr', data: frame.data, offset: stderrOffset };
              break;
            case 'heartbeat':
              yield { type: 'heartbeat' };
              break;
            case 'exit':
              yield { type: 'exit', exitCode: frame.exitCode, signal: frame.signal, reason: frame.reason };
              return;
            case 'lost':
              yield { type: 'lost', reason: frame.reason };
              return;
          }
        }
        watchdog.reset();
      }
      ended = true;
    } finally {
      watchdog.stop();
      signal?.removeEventListener('abort', onAbort);
      // Left early (consumer stopped, protocol error): let go of the connection.
      if (!ended && !parser.finished) proc.close();
    }
    const outcome = await proc.done;
    if (signal?.aborted) return;
    if (watchdog.fired) {
      yield { type: 'dropped', reason: `no data for ${options.idleTimeoutMs} ms` };
      return;
    }
    if (outcome.kind === 'exited' && !framed && attempt === 0 && options.scriptMissing(outcome)) {
      await options.install();
      continue;
    }
    const detail = outcome.stderr.trim().split('\n')[0] ?? '';
    const reason =
      outcome.kind === 'exited'
        ? `the follow ended with exit code ${outcome.exitCode}${detail ? `: ${detail}` : ''}`
        : outcome.message;
    yield { type: 'dropped', reason };
    return;
  }
}

/** Closes a stream that has been silent too long (a half-open connection delivers nothing, forever). */
class Watchdog {
  fired = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly proc: ExecProcess,
    private readonly timeoutMs: number,
  ) {
    this.reset();
  }

  reset(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.proc.close();
    }, this.timeoutMs);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
