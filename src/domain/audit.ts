import type { Principal } from './principal.js';

/**
 * Audit log vocabulary. An audit event records one change or privileged action: who did it (the
 * key and the client IP), what (`action`, e.g. `api_key.create`), to what (`targetType`,
 * `targetId`), whether it worked, and details that never contain secrets.
 */
export type AuditOutcome = 'SUCCESS' | 'FAILURE' | 'DENIED';

export interface NewAuditEvent {
  actorKeyId: string | null;
  actorComponent: string | null;
  clientIp: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  outcome: AuditOutcome;
  details: Record<string, unknown>;
  requestId: string | null;
}

export interface AuditEvent extends NewAuditEvent {
  id: string;
  at: Date;
}

export interface AuditEventFilter {
  /**
   * Only events about these projects (`details.projectName`); `null` or absent for every event.
   * A project-limited key sees nothing else: other projects' commands, and keys and webhooks,
   * which belong to no one project.
   */
  projectNames?: readonly string[] | null;
  action?: string;
  actorKeyId?: string;
  targetType?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
}

/** The who-columns of an audit row for an actor. */
export function auditActor(
  principal: Principal,
): Pick<NewAuditEvent, 'actorKeyId' | 'actorComponent' | 'clientIp' | 'requestId'> {
  return principal.kind === 'key'
    ? {
        actorKeyId: principal.keyId,
        actorComponent: null,
        clientIp: principal.clientIp,
        requestId: principal.requestId,
      }
    : {
        actorKeyId: null,
        actorComponent: principal.component,
        clientIp: null,
        requestId: principal.requestId,
      };
}
