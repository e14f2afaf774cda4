import type { Logger } from '../observability/logger.js';

/** Something with a background loop or a connection to end. */
export interface Stoppable {
  stop(): Promise<void>;
}

/** The HTTP edge as shutdown sees it: the server, its SSE streams and its WebSockets. */
export interface HttpShutdown {
  /** Stops accepting connections; resolves once every connection has closed. */
  stopAccepting(): Promise<void>;
  /** Ends every open stream (SSE without a final event, WebSockets with 1001). */
  endStreams(): Promise<void>;
  closeIdleConnections(): void;
  closeAllConnections(): void;
}

/** The parts of an app that shutdown ends, in the order it ends them. */
export interface ShutdownParts {
  logger: Logger;
  graceMs: number;
  readiness: { drain(): void };
  /** Stops claiming deliveries and finishes the attempts in flight, cut off when `graceOver` resolves. */
  webhooks: { stop(graceOver: Promise<void>): Promise<void> };
  /** Background loops that end at once, one after the other. */
  workers: readonly Stoppable[];
  /** The command dispatcher: hands the leases of running commands back. */
  commands: Stoppable;
  http: HttpShutdown;
  projects: Stoppable;
  /** The event bus: its connection between replicas, when there is one. */
  events: { close(): Promise<void> };
  /** Buffered writes (counted refusals) that must reach the database before it closes. */
  flush: () => Promise<void>;
  database: { close(): Promise<void> };
  tracing: { shutdown(): Promise<void> };
}

/**
 * The graceful stop: readiness turns 503, nothing new is accepted or claimed, open streams end so
 * their clients reconnect elsewhere, requests in flight get one grace period to finish, then the
 * connections, the database and the trace exporter close. Calling it again returns the same stop.
 */
export function gracefulShutdown(parts: ShutdownParts): () => Promise<void> {
  let stopping: Promise<void> | null = null;
  return () => {
    stopping ??= shutDown(parts);
    return stopping;
  };
}

async function shutDown(parts: ShutdownParts): Promise<void> {
  const { logger, http } = parts;
  parts.readiness.drain();
  logger.info('shutting down');
  // One grace period for everything still in flight.
  const graceOver = new Promise<void>((resolve) => setTimeout(resolve, parts.graceMs).unref());
  // The webhook worker claims nothing more from now on and finishes the attempts in flight
  // while the rest shuts down; one still running when the grace period ends is cut off and
  // recorded as failed, so another replica retries it.
  const webhooksStopped = parts.webhooks.stop(graceOver);
  for (const worker of parts.workers) await worker.stop();
  // Leases are handed back so another replica (or the next start) adopts running commands.
  const commandsStopped = parts.commands.stop();
  const closed = http.stopAccepting();
  // Stream clients reconnect, to another replica, from where they were.
  await http.endStreams();
  await parts.projects.stop();
  http.closeIdleConnections();
  // A keep-alive connection whose request or stream ends from now on would otherwise stay
  // open for the keep-alive timeout: close each one as soon as it is idle.
  const closeIdle = setInterval(() => http.closeIdleConnections(), 50);
  const graceful = await Promise.race([closed.then(() => true), graceOver.then(() => false)]);
  clearInterval(closeIdle);
  if (!graceful) {
    logger.warn('grace period over: closing remaining connections');
    http.closeAllConnections();
    await closed;
  }
  await webhooksStopped;
  await commandsStopped;
  await parts.events.close();
  // Refusals counted since the last audit row are written before the database closes.
  await parts.flush();
  await parts.database.close();
  // Spans still buffered go out before the process exits.
  await parts.tracing
    .shutdown()
    .catch((error) => logger.warn({ err: error }, 'could not export the last spans'));
  logger.info('stopped');
}
