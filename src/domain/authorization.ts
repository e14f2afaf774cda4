import { ForbiddenError, NotFoundError, UnauthenticatedError } from './errors.js';
import type { KeyPrincipal, Principal } from './principal.js';
import { hasScope, SCOPES, type Scope } from './scopes.js';

/**
 * The checks every service runs first. The system principal (background workers) may do
 * anything; a key needs the scope, and, for project objects, a grant of that project.
 */
export function requireScope(principal: Principal | null, scope: Scope): asserts principal is Principal {
  if (principal === null) throw new UnauthenticatedError();
  if (principal.kind === 'system') return;
  if (!hasScope(principal.scopes, scope)) {
    throw new ForbiddenError(`This API key lacks the "${scope}" scope.`, { scope });
  }
}

/** True when the principal may see objects of project `name`. */
export function canAccessProject(principal: Principal, name: string): boolean {
  return (
    principal.kind === 'system' || principal.projectNames === null || principal.projectNames.includes(name)
  );
}

/**
 * Refuses a project the key is not granted. It answers NOT_FOUND, not FORBIDDEN, so a
 * project-limited key cannot learn which other projects exist.
 */
export function requireProjectAccess(principal: Principal, name: string): void {
  if (!canAccessProject(principal, name)) throw new NotFoundError('Project', name);
}

/** Project names visible to the principal, or `null` for all. */
export function visibleProjects(principal: Principal): readonly string[] | null {
  return principal.kind === 'system' ? null : principal.projectNames;
}

/**
 * True when `after` may do less than `before`: a scope or a project it no longer holds. Streams
 * opened under `before` must then be authorised again; a key that only gained powers keeps them.
 */
export function grantsNarrowed(before: KeyPrincipal, after: KeyPrincipal): boolean {
  if (SCOPES.some((s) => hasScope(before.scopes, s) && !hasScope(after.scopes, s))) return true;
  if (after.projectNames === null) return false;
  if (before.projectNames === null) return true;
  return before.projectNames.some((p) => !after.projectNames!.includes(p));
}
