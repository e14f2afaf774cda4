import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from './api/api';
import type { CommandType, Scope, ServerInfo, Viewer } from './api/types';

/** The signed-in key: the API bound to it, what it may do, and the server it talks to. */
export interface Session {
  api: Api;
  viewer: Viewer;
  server: ServerInfo;
  can(scope: Scope): boolean;
  signOut(message?: string): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}

/** `admin` holds every scope. */
export function holds(scopes: Scope[], scope: Scope): boolean {
  return scopes.includes('ADMIN') || scopes.includes(scope);
}

export const RUN_SCOPE: Record<CommandType, Scope> = {
  SHELL: 'COMMANDS_RUN_SHELL',
  GIT: 'COMMANDS_RUN_GIT',
  CLAUDE: 'COMMANDS_RUN_CLAUDE',
};

export function runnableTypes(session: Pick<Session, 'can'>): CommandType[] {
  return (Object.keys(RUN_SCOPE) as CommandType[]).filter((t) => session.can(RUN_SCOPE[t]));
}

/** Scopes as the API's documentation and the CLI spell them (`commands:run:shell`). */
export function scopeText(scope: Scope): string {
  return scope === 'ADMIN' ? 'admin' : scope.toLowerCase().replace(/_/g, ':');
}
