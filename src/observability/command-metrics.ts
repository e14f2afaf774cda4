import type { Command } from '../domain/command.js';
import type { AppMetrics } from './metrics.js';

/**
 * The command counters and histograms, as hooks for the command service (queued, finished) and
 * the executor (started, output). Every terminal status counts as finished, including commands
 * cancelled before they started; only commands that ran have a duration.
 */
export function commandMetrics(metrics: AppMetrics) {
  return {
    onQueued: (c: Command) => metrics.commandsQueued.inc({ type: c.type }),
    onFinished: (c: Command) => {
      metrics.commandsFinished.inc({ type: c.type, status: c.status });
      if (c.startedAt && c.finishedAt) {
        metrics.commandDuration.observe(
          { type: c.type, status: c.status },
          (c.finishedAt.getTime() - c.startedAt.getTime()) / 1000,
        );
      }
    },
    onStarted: (c: Command, queueWaitSeconds: number) =>
      metrics.queueWait.observe({ type: c.type }, queueWaitSeconds),
    onOutputBytes: (bytes: number) => metrics.outputBytes.inc(bytes),
  };
}
