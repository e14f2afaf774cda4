import type { CommandTracing } from '../ports/command-tracing.js';

/** Command tracing that records nothing, for executors built without a tracer. */
export const noCommandTracing: CommandTracing = {
  run: () => ({
    runtime: (runtime) => runtime,
    finishing: (_end, fn) => fn(),
    untraced: (fn) => fn(),
    end: () => {},
  }),
};
