import { auditActor } from '../../domain/audit.js';
import { systemPrincipal } from '../../domain/principal.js';
import type { Logger } from '../../observability/logger.js';
import type { AuditLog } from '../../ports/audit-log.js';
import { SUPERVISE_SCRIPT_SHA256 } from './supervise-script.js';
import type { TamperedScriptReport } from './supervisor-runtime.js';

/**
 * What rdev does on finding a workspace's supervisor script changed: a warning in the log and a
 * row in the audit log, since only something running in that workspace can have changed it. The
 * runtime is built before the database is open, so the audit log is looked up when a report comes.
 */
export function reportTamperedScript(
  logger: Logger,
  auditLog: () => AuditLog | null,
): (report: TamperedScriptReport) => Promise<void> {
  return async ({ target, path, foundSha256, foundBytes }) => {
    const details = {
      projectName: target.projectName,
      path,
      foundSha256,
      foundBytes,
      expectedSha256: SUPERVISE_SCRIPT_SHA256,
    };
    logger.warn(
      details,
      `the run supervisor script of project "${target.projectName}" was changed in the workspace; it was rewritten before the next command started`,
    );
    await auditLog()?.record({
      ...auditActor(systemPrincipal('runtime')),
      action: 'runtime.supervisor_tampered',
      targetType: 'Project',
      targetId: target.projectName,
      outcome: 'FAILURE',
      details,
    });
  };
}
