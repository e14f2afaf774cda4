import { z } from 'zod';
import type { AuditEvent, AuditEventFilter } from '../domain/audit.js';
import { requireScope, visibleProjects } from '../domain/authorization.js';
import { DEFAULT_PAGE_SIZE, type Page, type PageRequest } from '../domain/page.js';
import type { Principal } from '../domain/principal.js';
import type { AuditLog } from '../ports/audit-log.js';
import { parseInput } from './validation.js';

const filterSchema = z
  .object({
    action: z.string().max(100).optional(),
    actorKeyId: z.string().max(100).optional(),
    targetType: z.string().max(100).optional(),
    targetId: z.string().max(200).optional(),
    from: z.date().optional(),
    to: z.date().optional(),
  })
  .refine((f) => !f.from || !f.to || f.from < f.to, {
    message: '`from` must be before `to`',
    path: ['from'],
  });

/** Rows deleted per statement when the log is aged out, so no delete holds locks for long. */
const PRUNE_BATCH = 5_000;

/** Reading the audit log (`audit:read`). Writing happens inside each change's unit of work. */
export class AuditService {
  constructor(private readonly log: AuditLog) {}

  list(
    caller: Principal | null,
    filter: AuditEventFilter,
    page: Partial<PageRequest>,
  ): Promise<Page<AuditEvent>> {
    requireScope(caller, 'audit:read');
    const parsed = parseInput(filterSchema, filter);
    // The audit log names other projects' commands and their argv: a project-limited key must not
    // learn from it what it may not see elsewhere.
    return this.log.list(
      { ...parsed, projectNames: visibleProjects(caller) },
      { first: page.first ?? DEFAULT_PAGE_SIZE, after: page.after },
    );
  }

  /** Deletes the events recorded before `before` (the retention period), in batches; returns how many. */
  async prune(before: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.log.deleteBefore(before, PRUNE_BATCH);
      total += deleted;
      if (deleted < PRUNE_BATCH) return total;
    }
  }
}
