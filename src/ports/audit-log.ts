import type { AuditEvent, AuditEventFilter, NewAuditEvent } from '../domain/audit.js';
import type { Page, PageRequest } from '../domain/page.js';

/** The append-only audit log. There is no update; only rows past the retention period are deleted. */
export interface AuditLog {
  /** Appends one event; inside a unit of work it commits or rolls back with the change it records. */
  record(event: NewAuditEvent): Promise<AuditEvent>;
  /** Newest first. */
  list(filter: AuditEventFilter, page: PageRequest): Promise<Page<AuditEvent>>;
  /**
   * Deletes up to `limit` of the oldest events recorded before `before` (which must be at least a
   * day ago: the database refuses younger ones); returns how many went.
   */
  deleteBefore(before: Date, limit: number): Promise<number>;
}
