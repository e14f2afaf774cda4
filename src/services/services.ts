import type { ApiKeyService } from './api-key-service.js';
import type { AuditService } from './audit-service.js';
import type { AuthService } from './auth-service.js';
import type { ClaudeConfigService } from './claude-config-service.js';
import type { CommandInputService } from './command-input-service.js';
import type { CommandOutputReader } from './command-output-reader.js';
import type { CommandService } from './command-service.js';
import type { GitStateService } from './git-state-service.js';
import type { ProjectService } from './project-service.js';
import type { ServerInfoService } from './server-info-service.js';
import type { WebhookService } from './webhook-service.js';
import type { WorkspaceFileService } from './workspace-file-service.js';

/** Every use-case service, as the GraphQL and HTTP edges see them. Built by the composition root. */
export interface Services {
  serverInfo: ServerInfoService;
  auth: AuthService;
  apiKeys: ApiKeyService;
  audit: AuditService;
  claudeConfig: ClaudeConfigService;
  commands: CommandService;
  commandInput: CommandInputService;
  commandOutput: CommandOutputReader;
  projects: ProjectService;
  webhooks: WebhookService;
  files: WorkspaceFileService;
  git: GitStateService;
}
