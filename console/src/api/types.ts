/** The shapes of the API's objects that the console reads, as the schema names them. */

export type Scope =
  | 'ADMIN'
  | 'AUDIT_READ'
  | 'COMMANDS_CANCEL'
  | 'COMMANDS_INPUT'
  | 'COMMANDS_READ'
  | 'COMMANDS_RUN_CLAUDE'
  | 'COMMANDS_RUN_GIT'
  | 'COMMANDS_RUN_SHELL'
  | 'CONFIG_READ'
  | 'CONFIG_WRITE'
  | 'FILES_READ'
  | 'FILES_WRITE'
  | 'KEYS_MANAGE'
  | 'PROJECTS_READ'
  | 'WEBHOOKS_MANAGE';

export const ALL_SCOPES: Scope[] = [
  'ADMIN',
  'PROJECTS_READ',
  'COMMANDS_READ',
  'COMMANDS_RUN_SHELL',
  'COMMANDS_RUN_GIT',
  'COMMANDS_RUN_CLAUDE',
  'COMMANDS_CANCEL',
  'COMMANDS_INPUT',
  'CONFIG_READ',
  'CONFIG_WRITE',
  'FILES_READ',
  'FILES_WRITE',
  'WEBHOOKS_MANAGE',
  'KEYS_MANAGE',
  'AUDIT_READ',
];

export type CommandType = 'CLAUDE' | 'SHELL' | 'GIT';
export type CommandStatus =
  | 'QUEUED'
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'CANCELLED'
  | 'TIMED_OUT'
  | 'LOST';
export const COMMAND_STATUSES: CommandStatus[] = [
  'QUEUED',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'TIMED_OUT',
  'LOST',
];
export type ProjectStatus = 'RUNNING' | 'PENDING' | 'FAILED' | 'UNKNOWN';
export type OutputStream = 'STDOUT' | 'STDERR' | 'SYSTEM';

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface Page<T> {
  items: T[];
  pageInfo: PageInfo;
}

export interface KeyRef {
  id: string;
  name: string;
  prefix: string;
}

export interface Viewer {
  scopes: Scope[];
  projectNames: string[] | null;
  clientIp: string;
  apiKey: KeyRef & { expiresAt: string | null };
}

export interface ServerInfo {
  version: string;
  runtime: 'LOCAL' | 'KUBERNETES';
  database: 'PGLITE' | 'POSTGRES';
}

export interface Project {
  id: string;
  name: string;
  description: string | null;
  status: ProjectStatus;
  workspacePath: string;
  podName: string | null;
  namespace: string | null;
  allowedCommandTypes: CommandType[];
  maxConcurrentCommands: number;
  runningCommands: number;
  queuedCommands: number;
  warnings: string[];
  lastSeenAt: string;
}

export interface ProjectList {
  projects: Project[];
  stale: boolean;
  runtime: ServerInfo['runtime'];
}

export interface ProjectEvent {
  type: 'DISCOVERED' | 'CHANGED' | 'REMOVED';
  project: Project;
}

export interface ClaudeSession {
  sessionId: string | null;
  model: string | null;
  costUsd: number | null;
  numTurns: number | null;
  durationMs: number | null;
  usage: Record<string, unknown> | null;
  resultSubtype: string | null;
  isError: boolean | null;
}

export interface Command {
  id: string;
  type: CommandType;
  status: CommandStatus;
  projectName: string;
  argv: string[];
  prompt: string | null;
  cwd: string | null;
  envNames: string[];
  priority: number;
  queuePosition: number | null;
  exitCode: number | null;
  signal: string | null;
  error: string | null;
  timeoutSeconds: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  lastSeq: number;
  outputTruncated: boolean;
  requestedBy: KeyRef | null;
  claudeSession: ClaudeSession | null;
}

export interface CommandEnd {
  status: CommandStatus;
  exitCode: number | null;
  signal: string | null;
  error: string | null;
}

export interface OutputEvent {
  seq: number;
  stream: OutputStream;
  data: string;
  at: string;
  claude: Record<string, any> | null;
  end: CommandEnd | null;
}

export interface CommandFilter {
  projectName?: string;
  statuses?: CommandStatus[];
  types?: CommandType[];
}

export interface ApiKey extends KeyRef {
  scopes: Scope[];
  projectNames: string[] | null;
  allowedIps: string[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface KeyInput {
  name: string;
  scopes: Scope[];
  projectNames: string[] | null;
  allowedIps: string[];
  expiresAt: string | null;
}

export type WebhookEventType =
  | 'COMMAND_QUEUED'
  | 'COMMAND_STARTED'
  | 'COMMAND_SUCCEEDED'
  | 'COMMAND_FAILED'
  | 'COMMAND_CANCELLED'
  | 'COMMAND_TIMED_OUT'
  | 'COMMAND_LOST'
  | 'PROJECT_DISCOVERED'
  | 'PROJECT_CHANGED'
  | 'PROJECT_REMOVED'
  | 'WEBHOOK_PING';

export const WEBHOOK_EVENT_TYPES: WebhookEventType[] = [
  'COMMAND_QUEUED',
  'COMMAND_STARTED',
  'COMMAND_SUCCEEDED',
  'COMMAND_FAILED',
  'COMMAND_CANCELLED',
  'COMMAND_TIMED_OUT',
  'COMMAND_LOST',
  'PROJECT_DISCOVERED',
  'PROJECT_CHANGED',
  'PROJECT_REMOVED',
];

export interface Webhook {
  id: string;
  url: string;
  description: string | null;
  events: WebhookEventType[];
  projectNames: string[] | null;
  enabled: boolean;
  disabledReason: string | null;
  failingSince: string | null;
  createdAt: string;
}

export interface WebhookAttempt {
  at: string;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  manual: boolean;
  succeeded: boolean;
}

export interface WebhookDelivery {
  id: string;
  eventType: WebhookEventType;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED';
  attemptCount: number;
  createdAt: string;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  projectName: string | null;
  attempts: WebhookAttempt[];
}

export interface AuditEvent {
  id: string;
  at: string;
  action: string;
  outcome: 'SUCCESS' | 'FAILURE' | 'DENIED';
  actorKey: KeyRef | null;
  actorComponent: string | null;
  targetType: string;
  targetId: string | null;
  clientIp: string | null;
  details: unknown;
}

export interface AuditFilter {
  action?: string;
  apiKeyId?: string;
  targetType?: string;
  from?: string;
  to?: string;
}

/** A mutation refused with one of its expected errors (`... on Error { code message }`). */
export interface ResultError {
  code: string;
  message: string;
  issues?: { path: string; message: string }[];
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ResultError };
