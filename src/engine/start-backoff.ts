/**
 * Projects whose workspace could not be reached when a command was started there: their queued
 * commands wait, and this replica asks again after a pause that doubles with each failure (up to
 * `maxMs`), instead of claiming and failing to start them in a tight loop for as long as the
 * runtime is down (a Kubernetes API outage, a pod that does not answer).
 */
export class StartBackoff {
  private readonly waits = new Map<string, { until: number; delayMs: number }>();

  constructor(
    private readonly options: { firstMs: number; maxMs: number; now?: () => number } = {
      firstMs: 1_000,
      maxMs: 30_000,
    },
  ) {}

  /** A start in `project` failed because its workspace could not be reached. */
  unreachable(project: string): void {
    const previous = this.waits.get(project);
    const delayMs = previous ? Math.min(previous.delayMs * 2, this.options.maxMs) : this.options.firstMs;
    this.waits.set(project, { until: this.now() + delayMs, delayMs });
  }

  /** A start in `project` reached its workspace. */
  reached(project: string): void {
    this.waits.delete(project);
  }

  /** Whether claims in `project` should wait a little longer. */
  waiting(project: string): boolean {
    const wait = this.waits.get(project);
    return wait !== undefined && this.now() < wait.until;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
