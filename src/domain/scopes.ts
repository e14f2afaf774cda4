/** The permissions a key can hold. `admin` implies every other scope. */
export const SCOPES = [
  'projects:read',
  'commands:read',
  'commands:run:claude',
  'commands:run:shell',
  'commands:run:git',
  'commands:cancel',
  'commands:input',
  'config:read',
  'config:write',
  'files:read',
  'files:write',
  'webhooks:manage',
  'keys:manage',
  'audit:read',
  'admin',
] as const;

export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** GraphQL enum name of a scope: `commands:run:claude` → `COMMANDS_RUN_CLAUDE`. */
export function scopeEnumName(scope: Scope): string {
  return scope.replace(/:/g, '_').toUpperCase();
}

export function hasScope(held: ReadonlySet<Scope>, wanted: Scope): boolean {
  return held.has('admin') || held.has(wanted);
}
