import { type Kysely, type Selectable, sql } from 'kysely';
import type { AuditEvent, AuditEventFilter, AuditOutcome, NewAuditEvent } from '../../domain/audit.js';
import type { Page, PageRequest } from '../../domain/page.js';
import type { AuditLog } from '../../ports/audit-log.js';
import { highestIdFirstPage } from './keyset-page.js';
import type { AuditEventsTable, Database } from './schema.js';

type Row = Selectable<AuditEventsTable>;

export class PostgresAuditLog implements AuditLog {
  constructor(private readonly db: Kysely<Database>) {}

  async record(event: NewAuditEvent): Promise<AuditEvent> {
    const row = await this.db
      .insertInto('audit_events')
      .values({
        actor_key_id: event.actorKeyId,
        actor_component: event.actorComponent,
        client_ip: event.clientIp,
        action: event.action,
        target_type: event.targetType,
        target_id: event.targetId,
        outcome: event.outcome,
        details: JSON.stringify(event.details),
        request_id: event.requestId,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAuditEvent(row);
  }

  async deleteBefore(before: Date, limit: number): Promise<number> {
    const result = await this.db
      .deleteFrom('audit_events')
      .where('id', 'in', (eb) =>
        eb.selectFrom('audit_events').select('id').where('at', '<', before).orderBy('id').limit(limit),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async list(filter: AuditEventFilter, page: PageRequest): Promise<Page<AuditEvent>> {
    let query = this.db.selectFrom('audit_events').selectAll();
    if (filter.projectNames) {
      if (filter.projectNames.length === 0) return { items: [], cursors: [], hasNextPage: false };
      query = query.where(sql<string>`details->>'projectName'`, 'in', [...filter.projectNames]);
    }
    if (filter.action) query = query.where('action', '=', filter.action);
    if (filter.actorKeyId) query = query.where('actor_key_id', '=', filter.actorKeyId);
    if (filter.targetType) query = query.where('target_type', '=', filter.targetType);
    if (filter.targetId) query = query.where('target_id', '=', filter.targetId);
    if (filter.from) query = query.where('at', '>=', filter.from);
    if (filter.to) query = query.where('at', '<', filter.to);
    return highestIdFirstPage(query, 'id', page, toAuditEvent);
  }
}

function toAuditEvent(row: Row): AuditEvent {
  return {
    id: String(row.id),
    at: row.at,
    actorKeyId: row.actor_key_id,
    actorComponent: row.actor_component,
    clientIp: row.client_ip,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    outcome: row.outcome as AuditOutcome,
    details: row.details,
    requestId: row.request_id,
  };
}
