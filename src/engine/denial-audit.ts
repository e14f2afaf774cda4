import type { NewAuditEvent } from '../domain/audit.js';
import type { Clock } from '../domain/clock.js';
import type { AuditLog } from '../ports/audit-log.js';

/** Why a key was refused; `malformed` keys are refused without a lookup. */
export type AuthFailureReason = 'malformed' | 'unknown' | 'revoked' | 'expired' | 'ip_not_allowed';

export interface Denial {
  reason: AuthFailureReason;
  clientIp: string;
  /** The key, when the text named one. */
  keyId: string | null;
  /** The key text's display prefix (`rdev_AbC1…`), for well-formed text only. */
  prefix: string | null;
  requestId: string;
}

export interface DenialAuditDeps {
  audit: AuditLog;
  clock: Clock;
  /** Repeats of one denial within this time become one counted row. */
  windowMs: number;
  /** Most distinct denials tracked at once; past it, new ones share one row. */
  maxGroups?: number;
  onError?(error: unknown): void;
}

interface Group {
  first: Denial;
  repeats: number;
  firstRepeatAt: Date | null;
  lastRepeatAt: Date | null;
}

/**
 * Audit rows for refused keys (`api_key.use`, `DENIED`) without one row per refusal. The first
 * refusal of a kind (same reason, client IP and key or prefix) is written at once; its repeats
 * in the following window are counted in memory and written as one row with `details.count`.
 * A flood of bad keys thus writes at most two rows per kind and window, and the audit log stays
 * readable.
 */
export class DenialAudit {
  private groups = new Map<string, Group>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: DenialAuditDeps) {}

  async record(denial: Denial): Promise<void> {
    const full = this.groups.size >= (this.deps.maxGroups ?? 10_000);
    const id = full
      ? 'overflow'
      : `${denial.reason}|${denial.clientIp}|${denial.keyId ?? denial.prefix ?? ''}`;
    const group = this.groups.get(id);
    if (group) {
      const now = this.deps.clock();
      group.repeats++;
      group.firstRepeatAt ??= now;
      group.lastRepeatAt = now;
      this.timer ??= setTimeout(() => void this.flush(), this.deps.windowMs).unref();
      return;
    }
    this.groups.set(id, { first: denial, repeats: 0, firstRepeatAt: null, lastRepeatAt: null });
    await this.write(denial, { count: 1 });
  }

  /** Writes the counted repeats now and starts a new window (also at shutdown). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const groups = this.groups;
    this.groups = new Map();
    await Promise.all(
      [...groups.values()]
        .filter((g) => g.repeats > 0)
        .map((g) =>
          this.write(g.first, {
            count: g.repeats,
            repeated: true,
            firstAt: g.firstRepeatAt?.toISOString(),
            lastAt: g.lastRepeatAt?.toISOString(),
          }),
        ),
    );
  }

  private async write(denial: Denial, counts: Record<string, unknown>): Promise<void> {
    const event: NewAuditEvent = {
      actorKeyId: denial.keyId,
      actorComponent: null,
      clientIp: denial.clientIp,
      action: 'api_key.use',
      targetType: 'ApiKey',
      targetId: denial.keyId,
      outcome: 'DENIED',
      details: { reason: denial.reason, ...(denial.prefix ? { prefix: denial.prefix } : {}), ...counts },
      requestId: denial.requestId,
    };
    try {
      await this.deps.audit.record(event);
    } catch (error) {
      this.deps.onError?.(error);
    }
  }
}
