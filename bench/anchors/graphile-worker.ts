// The queue-latency anchor: a graphile-worker runner (concurrency 1) with one no-op task that
// reports how long after `add_job` it started. The job's payload carries the database clock at
// enqueue; the machine shares one clock, so the difference is the latency.
import { Logger, type Runner, run } from 'graphile-worker';
import { emit, serveRequests } from '../lib/child.js';

let runner: Runner | null = null;

serveRequests({
  start: async (o: { connectionString: string }) => {
    runner = await run({
      connectionString: o.connectionString,
      concurrency: 1,
      noHandleSignals: true,
      pollInterval: 2000,
      logger: new Logger(() => () => {}),
      taskList: {
        noop: async (payload) => {
          emit('started', { latencyMs: Date.now() - (payload as { t: number }).t });
        },
      },
    });
    return null;
  },
  stop: async () => {
    await runner?.stop();
    runner = null;
    return null;
  },
});
