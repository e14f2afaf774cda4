import type { Clock } from '../domain/clock.js';
import type { Logger } from '../observability/logger.js';
import type { AuditService } from '../services/audit-service.js';
import { retentionSweepIntervalMs } from './retention-sweep-interval.js';

export interface AuditRetentionDeps {
  audit: AuditService;
  clock: Clock;
  retentionDays: number;
  logger: Logger;
}

/** Ages the audit log out: deletes rows older than the retention period, now and periodically. */
export class AuditRetentionWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly deps: AuditRetentionDeps) {}

  start(): void {
    if (this.deps.retentionDays === 0) return;
    const retentionMs = this.deps.retentionDays * 86_400_000;
    const run = () => {
      this.running ??= this.prune(retentionMs).finally(() => {
        this.running = null;
      });
    };
    run();
    this.timer = setInterval(run, retentionSweepIntervalMs(retentionMs));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async prune(retentionMs: number): Promise<void> {
    try {
      const deleted = await this.deps.audit.prune(new Date(this.deps.clock().getTime() - retentionMs));
      if (deleted > 0) this.deps.logger.info({ deleted }, 'deleted audit rows past the retention period');
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not delete audit rows past the retention period');
    }
  }
}
