import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/rdev.js', import.meta.url));

export interface RdevProcess {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `rdev ARGS` as a real child process and collects its output; `nodeArgs` go to node itself. */
export function runRdev(
  args: string[],
  env: Record<string, string>,
  cwd = REPO_ROOT,
  nodeArgs: string[] = [],
) {
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Starts `rdev serve` on port 0 and waits for its "listening on" line. */
export async function startRdev(
  env: Record<string, string>,
  timeoutMs = 90_000,
  nodeArgs: string[] = [],
): Promise<RdevProcess> {
  const proc = runRdev(['serve'], { PORT: '0', ...env }, REPO_ROOT, nodeArgs);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`rdev did not start:\n${proc.stdout()}\n${proc.stderr()}`)),
      timeoutMs,
    );
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(proc.stdout());
      if (m) {
        clearTimeout(timer);
        proc.child.stdout?.off('data', check);
        resolve(m[1]!);
      }
    };
    proc.child.stdout?.on('data', check);
    proc.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`rdev exited early:\n${proc.stdout()}\n${proc.stderr()}`));
    });
  });
  return { ...proc, url };
}
