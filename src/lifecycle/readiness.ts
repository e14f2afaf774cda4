import type { ReadinessReport } from '../http/http-server.js';
import type { HealthCheck } from '../ports/health-check.js';

/** A check that has not answered by then counts as failed: a probe must not hang on it. */
const CHECK_TIMEOUT_MS = 2_000;

/**
 * What `/ready` reports: every health check, run in parallel, and whether this replica is
 * draining. A draining replica is not ready whatever its checks say, so the load balancer stops
 * sending it new work while it finishes what it has.
 */
export class Readiness {
  private draining = false;

  constructor(private readonly checks: readonly HealthCheck[]) {}

  /** From now on the report says `server: draining` and not ready (shutdown has begun). */
  drain(): void {
    this.draining = true;
  }

  async report(): Promise<ReadinessReport> {
    const checks: Record<string, string> = {};
    if (this.draining) checks.server = 'draining';
    await Promise.all(
      this.checks.map(async (hc) => {
        try {
          await withTimeout(hc.check(), CHECK_TIMEOUT_MS);
          checks[hc.name] = 'ok';
        } catch (error) {
          checks[hc.name] = error instanceof Error ? error.message : String(error);
        }
      }),
    );
    return { ready: !this.draining && Object.values(checks).every((v) => v === 'ok'), checks };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
