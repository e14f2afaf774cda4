import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { gracefulShutdown, type ShutdownParts } from '../../src/lifecycle/shutdown.js';
import { createLogger } from '../../src/observability/logger.js';

/** Parts that write what happens to them into `steps`; the HTTP server closes when told to. */
function recordingParts(graceMs: number, connectionsClose: 'when-streams-end' | 'never') {
  const steps: string[] = [];
  const step = (name: string) => async () => {
    steps.push(name);
  };
  let closeConnections = () => {};
  const closed = new Promise<void>((resolve) => {
    closeConnections = resolve;
  });
  const parts: ShutdownParts = {
    logger: createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk, _enc, cb) {
          steps.push(`log: ${JSON.parse(String(chunk)).msg}`);
          cb();
        },
      }),
    }),
    graceMs,
    readiness: { drain: () => steps.push('readiness drained') },
    webhooks: {
      stop: async (graceOver) => {
        steps.push('webhooks stop claiming');
        await graceOver;
        steps.push('webhooks cut off');
      },
    },
    workers: [{ stop: step('sweeper stopped') }, { stop: step('audit retention stopped') }],
    commands: { stop: step('leases handed back') },
    http: {
      stopAccepting: () => {
        steps.push('stop accepting');
        return closed;
      },
      endStreams: async () => {
        steps.push('streams ended');
        if (connectionsClose === 'when-streams-end') closeConnections();
      },
      closeIdleConnections: () => {
        if (steps.at(-1) !== 'idle connections closed') steps.push('idle connections closed');
      },
      closeAllConnections: () => {
        steps.push('all connections closed');
        closeConnections();
      },
    },
    projects: { stop: step('projects stopped') },
    events: { close: step('events closed') },
    flush: step('refusals flushed'),
    database: { close: step('database closed') },
    tracing: { shutdown: step('spans exported') },
  };
  return { parts, steps };
}

describe('graceful shutdown', () => {
  it('drains first, ends streams before waiting for requests, and closes the database last but for the spans', async () => {
    const { parts, steps } = recordingParts(100, 'when-streams-end');
    const stop = gracefulShutdown(parts);
    const first = stop();
    expect(stop()).toBe(first);
    await first;
    expect(steps).toEqual([
      'readiness drained',
      'log: shutting down',
      'webhooks stop claiming',
      'sweeper stopped',
      'audit retention stopped',
      'leases handed back',
      'stop accepting',
      'streams ended',
      'projects stopped',
      'idle connections closed',
      // The webhook worker had the whole grace period for its attempts in flight.
      'webhooks cut off',
      'events closed',
      'refusals flushed',
      'database closed',
      'spans exported',
      'log: stopped',
    ]);
  });

  it('closes the connections still open when the grace period ends', async () => {
    const { parts, steps } = recordingParts(100, 'never');
    await gracefulShutdown(parts)();
    expect(steps).toContain('webhooks cut off');
    const rest = steps.filter((s) => s !== 'webhooks cut off');
    const graceOver = rest.indexOf('log: grace period over: closing remaining connections');
    expect(graceOver).toBeGreaterThan(rest.indexOf('projects stopped'));
    expect(rest.slice(graceOver)).toEqual([
      'log: grace period over: closing remaining connections',
      'all connections closed',
      'events closed',
      'refusals flushed',
      'database closed',
      'spans exported',
      'log: stopped',
    ]);
  });
});
