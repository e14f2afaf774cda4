import { type ChildProcess, fork } from 'node:child_process';
import { compiledModule } from './build.js';

/**
 * Load generators, anchors and receivers run in processes of their own, so they never share an
 * event loop (or a core) with the server they measure. Each is a module (compiled by
 * `buildForBench`) that answers requests over the IPC channel (see `serveRequests`).
 */
export interface BenchChild {
  readonly pid: number;
  /** Sends a request and resolves with the child's answer. */
  request<T = unknown>(type: string, payload?: unknown): Promise<T>;
  /** Resolves with the payload of the next message of this type the child emits by itself. */
  next<T = unknown>(type: string): Promise<T>;
  /** Calls `listener` with every message of this type the child emits (instead of `next`). */
  on<T = unknown>(type: string, listener: (payload: T) => void): void;
  /** Ends the child (SIGTERM, then SIGKILL after a while) and waits for it to exit. */
  stop(): Promise<void>;
}

interface Reply {
  kind: 'reply';
  id: number;
  value?: unknown;
  error?: string;
}
interface Emitted {
  kind: 'event';
  type: string;
  payload: unknown;
}

export async function forkChild(module: URL, env: Record<string, string> = {}): Promise<BenchChild> {
  const child: ChildProcess = fork(compiledModule(module), [], {
    execArgv: ['--max-old-space-size=2048'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const waiting = new Map<string, Array<(payload: unknown) => void>>();
  const unclaimed = new Map<string, unknown[]>();
  const listeners = new Map<string, (payload: unknown) => void>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exitError: Error | null = null;
  child.once('exit', (code, signal) => {
    exitError = new Error(`${module.pathname} exited (${signal ?? code}) before answering`);
    for (const p of pending.values()) p.reject(exitError);
    pending.clear();
  });
  child.on('message', (message: Reply | Emitted) => {
    if (message.kind === 'reply') {
      const p = pending.get(message.id);
      pending.delete(message.id);
      if (message.error !== undefined) p?.reject(new Error(message.error));
      else p?.resolve(message.value);
    } else {
      const listener = listeners.get(message.type);
      const first = listener ? null : waiting.get(message.type)?.shift();
      if (listener) listener(message.payload);
      else if (first) first(message.payload);
      else unclaimed.set(message.type, [...(unclaimed.get(message.type) ?? []), message.payload]);
    }
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return {
    pid: child.pid!,
    request<T>(type: string, payload?: unknown) {
      if (exitError) return Promise.reject(exitError);
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ kind: 'request', id, type, payload });
      });
    },
    next<T>(type: string) {
      const early = unclaimed.get(type);
      if (early && early.length > 0) return Promise.resolve(early.shift() as T);
      return new Promise<T>((resolve) => {
        const list = waiting.get(type) ?? [];
        list.push(resolve as (payload: unknown) => void);
        waiting.set(type, list);
      });
    },
    on(type, listener) {
      listeners.set(type, listener as (payload: unknown) => void);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

type Handler = (payload: any) => Promise<unknown> | unknown;

/** The child's side: answers `request(type, payload)` calls with the matching handler. */
export function serveRequests(handlers: Record<string, Handler>): void {
  process.on('message', async (message: { kind: string; id: number; type: string; payload: unknown }) => {
    if (message.kind !== 'request') return;
    const handler = handlers[message.type];
    try {
      if (!handler) throw new Error(`unknown request ${message.type}`);
      const value = await handler(message.payload);
      process.send?.({ kind: 'reply', id: message.id, value: value ?? null });
    } catch (error) {
      process.send?.({
        kind: 'reply',
        id: message.id,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  });
  // The parent going away ends the child; nothing here is worth keeping.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

/** The child's side: a message the parent awaits with `next(type)`. */
export function emit(type: string, payload: unknown = null): void {
  process.send?.({ kind: 'event', type, payload });
}
