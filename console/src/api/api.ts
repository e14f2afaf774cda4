import { ApiError, type ConnectionState, Transport } from './transport';
import type {
  ApiKey,
  AuditEvent,
  AuditFilter,
  Command,
  CommandEnd,
  CommandFilter,
  KeyInput,
  OutputEvent,
  Page,
  Project,
  ProjectEvent,
  ProjectList,
  Result,
  ServerInfo,
  Viewer,
  Webhook,
  WebhookDelivery,
  WebhookEventType,
} from './types';

/**
 * Every operation the console performs, written against rdev's public GraphQL API. The documents
 * here are also a worked example for anyone writing their own frontend.
 */

const PROJECT = `id name description status workspacePath podName namespace allowedCommandTypes
  maxConcurrentCommands runningCommands queuedCommands warnings lastSeenAt`;
const COMMAND = `id type status projectName argv prompt cwd envNames priority queuePosition exitCode signal
  error timeoutSeconds createdAt startedAt finishedAt lastSeq outputTruncated
  requestedBy { id name prefix }
  claudeSession { sessionId model costUsd numTurns durationMs usage resultSubtype isError }`;
const COMMAND_ROW = `id type status projectName argv prompt priority queuePosition exitCode signal createdAt
  startedAt finishedAt requestedBy { id name prefix }`;
const KEY = 'id name prefix scopes projectNames allowedIps createdAt expiresAt lastUsedAt revokedAt';
const WEBHOOK = 'id url description events projectNames enabled disabledReason failingSince createdAt';
const DELIVERY = `id eventType status attemptCount createdAt lastAttemptAt lastStatusCode lastError
  nextAttemptAt projectName attempts(first: $attempts) { edges { node { at statusCode durationMs error manual succeeded } } }`;
const RESULT_ERROR =
  '... on Error { __typename code message } ... on ValidationFailedError { issues { path message } }';
const OUTPUT = 'seq stream data at claude end { status exitCode signal error }';

interface Connection<T> {
  edges: { node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}
const page = <T>(c: Connection<T>): Page<T> => ({ items: c.edges.map((e) => e.node), pageInfo: c.pageInfo });

/** A mutation's result union: the payload, or one of the expected errors as data. */
function result<P, T>(union: P & { __typename: string }, pick: (payload: P) => T): Result<T> {
  const u = union as unknown as { __typename: string; code?: string; message?: string; issues?: [] };
  if (u.code !== undefined)
    return { ok: false, error: { code: u.code, message: u.message ?? '', issues: u.issues } };
  return { ok: true, value: pick(union) };
}

export type RunInput =
  | {
      type: 'SHELL';
      projectName: string;
      argv?: string[];
      script?: string;
      env?: Record<string, string>;
      cwd?: string;
      priority?: number;
      timeoutSeconds?: number;
    }
  | { type: 'GIT'; projectName: string; args: string[]; priority?: number; timeoutSeconds?: number }
  | {
      type: 'CLAUDE';
      projectName: string;
      prompt: string;
      model?: string;
      maxTurns?: number;
      allowedTools?: string[];
      resumeSessionId?: string;
      priority?: number;
      timeoutSeconds?: number;
    };

export interface FollowOptions {
  /** The last seq already shown; the stream starts after it. */
  after: number;
  onEvent(event: OutputEvent): void;
  onFailed?(error: ApiError): void;
}

export class Api {
  private readonly transport: Transport;

  constructor(key: string, origin?: string) {
    this.transport = new Transport(key, origin);
  }

  dispose(): void {
    this.transport.dispose();
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    return this.transport.onState(listener);
  }

  /** rdev stopped accepting the key (revoked or expired while signed in). */
  onRefused(listener: (error: ApiError) => void): () => void {
    return this.transport.onRefused(listener);
  }

  async viewer(): Promise<{ viewer: Viewer; server: ServerInfo }> {
    const data = await this.transport.request<{ viewer: Viewer; serverInfo: ServerInfo }>(
      `query Viewer { viewer { scopes projectNames clientIp apiKey { id name prefix expiresAt } }
        serverInfo { version runtime database } }`,
    );
    return { viewer: data.viewer, server: data.serverInfo };
  }

  /** Every project the key may see (page after page). */
  async projects(): Promise<ProjectList> {
    const projects: Project[] = [];
    for (let after: string | null = null; ; ) {
      const data: {
        projects: Connection<Project> & { stale: boolean };
        runtimeStatus: { runtime: ProjectList['runtime'] };
      } = await this.transport.request(
        `query Projects($first: Int, $after: String) { projects(first: $first, after: $after) { stale
          edges { node { ${PROJECT} } } pageInfo { hasNextPage endCursor } } runtimeStatus { runtime } }`,
        { first: 100, after },
      );
      projects.push(...data.projects.edges.map((e) => e.node));
      after = data.projects.pageInfo.endCursor;
      if (!data.projects.pageInfo.hasNextPage || !after)
        return { projects, stale: data.projects.stale, runtime: data.runtimeStatus.runtime };
    }
  }

  async project(name: string): Promise<Project | null> {
    const data = await this.transport.request<{ project: Project | null }>(
      `query Project($name: String!) { project(name: $name) { ${PROJECT} } }`,
      { name },
    );
    return data.project;
  }

  /** Project events from now on: discovered, changed, removed. */
  projectEvents(onEvent: (event: ProjectEvent) => void): () => void {
    return this.transport.live<{ projectUpdated: ProjectEvent }>(
      `subscription ProjectUpdated { projectUpdated { type project { ${PROJECT} } } }`,
      () => ({}),
      { next: (d) => onEvent(d.projectUpdated) },
    );
  }

  /** Status changes of one command, or of every command the key may see. */
  commandUpdates(commandId: string | null, onCommand: (command: Command) => void): () => void {
    return this.transport.live<{ commandUpdated: Command }>(
      `subscription CommandUpdated($id: ID) { commandUpdated(commandId: $id) { ${COMMAND} } }`,
      () => ({ id: commandId }),
      { next: (d) => onCommand(d.commandUpdated) },
    );
  }

  async command(id: string): Promise<Command | null> {
    const data = await this.transport.request<{ command: Command | null }>(
      `query Command($id: ID!) { command(id: $id) { ${COMMAND} } }`,
      { id },
    );
    return data.command;
  }

  async commands(filter: CommandFilter, after: string | null, first = 25): Promise<Page<Command>> {
    const data = await this.transport.request<{ commands: Connection<Command> }>(
      `query Commands($filter: CommandFilter, $after: String, $first: Int) {
        commands(filter: $filter, after: $after, first: $first) {
          edges { node { ${COMMAND_ROW} } } pageInfo { hasNextPage endCursor } } }`,
      { filter, after, first },
    );
    return page(data.commands);
  }

  /**
   * Replays a command's output after `after` and follows it to its end event. The stream resumes
   * after any disconnect from the last seq delivered, and events are handed on strictly in seq
   * order, each once: a repeat is dropped, a gap makes it subscribe again from the last seq seen.
   * Resolves with the end event, or null when stopped through `signal` or refused.
   */
  follow(commandId: string, options: FollowOptions, signal: AbortSignal): Promise<CommandEnd | null> {
    let last = options.after;
    return new Promise((resolve) => {
      let stop: () => void = () => {};
      const subscribe = () => {
        stop = this.transport.live<{ commandOutput: OutputEvent }>(
          `subscription Output($id: ID!, $after: Int) { commandOutput(commandId: $id, after: $after) { ${OUTPUT} } }`,
          () => ({ id: commandId, after: last }),
          {
            next: ({ commandOutput: event }) => {
              if (event.seq <= last) return;
              if (event.seq !== last + 1) {
                stop();
                subscribe();
                return;
              }
              last = event.seq;
              options.onEvent(event);
              if (event.end) finish(event.end);
            },
            failed: (error) => {
              options.onFailed?.(error);
              finish(null);
            },
            // Completed without the end event (a server draining): pick up again where it stopped.
            completed: () => true,
          },
        );
      };
      const finish = (end: CommandEnd | null) => {
        stop();
        signal.removeEventListener('abort', aborted);
        resolve(end);
      };
      const aborted = () => finish(null);
      signal.addEventListener('abort', aborted);
      subscribe();
    });
  }

  async run(input: RunInput): Promise<Result<Command>> {
    const { type, ...fields } = input;
    const mutation = { SHELL: 'runShell', GIT: 'runGit', CLAUDE: 'runClaude' }[type];
    const inputType = { SHELL: 'RunShellInput', GIT: 'RunGitInput', CLAUDE: 'RunClaudeInput' }[type];
    const data = await this.transport.request<Record<string, { __typename: string; command: Command }>>(
      `mutation Run($input: ${inputType}!) { result: ${mutation}(input: $input) { __typename
        ... on RunCommandPayload { command { ${COMMAND} } } ${RESULT_ERROR} } }`,
      { input: fields },
    );
    return result(data.result!, (p) => p.command);
  }

  async cancel(id: string): Promise<Result<Command>> {
    const data = await this.transport.request<{ cancelCommand: { __typename: string; command: Command } }>(
      `mutation Cancel($id: ID!) { cancelCommand(input: { id: $id }) { __typename
        ... on CancelCommandPayload { command { ${COMMAND} } } ${RESULT_ERROR} } }`,
      { id },
    );
    return result(data.cancelCommand, (p) => p.command);
  }

  async apiKeys(includeRevoked: boolean, after: string | null): Promise<Page<ApiKey>> {
    const data = await this.transport.request<{ apiKeys: Connection<ApiKey> }>(
      `query Keys($rev: Boolean, $after: String, $first: Int) { apiKeys(first: $first, after: $after, includeRevoked: $rev) {
        edges { node { ${KEY} } } pageInfo { hasNextPage endCursor } } }`,
      { rev: includeRevoked, after, first: 50 },
    );
    return page(data.apiKeys);
  }

  async createKey(input: KeyInput): Promise<Result<{ apiKey: ApiKey; secret: string }>> {
    const data = await this.transport.request<{
      createApiKey: { __typename: string; apiKey: ApiKey; secret: string };
    }>(
      `mutation CreateKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { __typename
        ... on CreateApiKeyPayload { secret apiKey { ${KEY} } } ${RESULT_ERROR} } }`,
      { input },
    );
    return result(data.createApiKey, (p) => ({ apiKey: p.apiKey, secret: p.secret }));
  }

  async updateKey(id: string, input: Omit<KeyInput, 'name'> & { name: string }): Promise<Result<ApiKey>> {
    const data = await this.transport.request<{ updateApiKey: { __typename: string; apiKey: ApiKey } }>(
      `mutation UpdateKey($input: UpdateApiKeyInput!) { updateApiKey(input: $input) { __typename
        ... on UpdateApiKeyPayload { apiKey { ${KEY} } } ${RESULT_ERROR} } }`,
      { input: { id, ...input } },
    );
    return result(data.updateApiKey, (p) => p.apiKey);
  }

  async rotateKey(
    id: string,
    gracePeriodSeconds: number,
  ): Promise<Result<{ apiKey: ApiKey; secret: string }>> {
    const data = await this.transport.request<{
      rotateApiKey: { __typename: string; apiKey: ApiKey; secret: string };
    }>(
      `mutation RotateKey($input: RotateApiKeyInput!) { rotateApiKey(input: $input) { __typename
        ... on RotateApiKeyPayload { secret apiKey { ${KEY} } } ${RESULT_ERROR} } }`,
      { input: { id, gracePeriodSeconds } },
    );
    return result(data.rotateApiKey, (p) => ({ apiKey: p.apiKey, secret: p.secret }));
  }

  async revokeKey(id: string): Promise<Result<ApiKey>> {
    const data = await this.transport.request<{ revokeApiKey: { __typename: string; apiKey: ApiKey } }>(
      `mutation RevokeKey($id: ID!) { revokeApiKey(input: { id: $id }) { __typename
        ... on RevokeApiKeyPayload { apiKey { ${KEY} } } ${RESULT_ERROR} } }`,
      { id },
    );
    return result(data.revokeApiKey, (p) => p.apiKey);
  }

  async webhooks(): Promise<Page<Webhook>> {
    const data = await this.transport.request<{ webhooks: Connection<Webhook> }>(
      `query Webhooks($first: Int) { webhooks(first: $first) { edges { node { ${WEBHOOK} } } pageInfo { hasNextPage endCursor } } }`,
      { first: 100 },
    );
    return page(data.webhooks);
  }

  async webhook(id: string): Promise<Webhook | null> {
    const data = await this.transport.request<{ node: Webhook | null }>(
      `query Webhook($id: ID!) { node(id: $id) { ... on Webhook { ${WEBHOOK} } } }`,
      { id },
    );
    return data.node && 'url' in data.node ? data.node : null;
  }

  async deliveries(webhookId: string, after: string | null): Promise<Page<WebhookDelivery>> {
    const data = await this.transport.request<{
      node: {
        deliveries: Connection<Omit<WebhookDelivery, 'attempts'> & { attempts: Connection<any> }>;
      } | null;
    }>(
      `query Deliveries($id: ID!, $after: String, $first: Int, $attempts: Int) { node(id: $id) { ... on Webhook {
        deliveries(first: $first, after: $after) { edges { node { ${DELIVERY} } } pageInfo { hasNextPage endCursor } } } } }`,
      { id: webhookId, after, first: 20, attempts: 5 },
    );
    if (!data.node) throw new ApiError('NOT_FOUND', 'The webhook no longer exists.');
    const p = page(data.node.deliveries);
    return { ...p, items: p.items.map((d) => ({ ...d, attempts: page(d.attempts).items })) };
  }

  async createWebhook(input: {
    url: string;
    events: WebhookEventType[];
    projectNames: string[] | null;
    description: string | null;
  }): Promise<Result<{ webhook: Webhook; secret: string }>> {
    const data = await this.transport.request<{
      createWebhook: { __typename: string; webhook: Webhook; secret: string };
    }>(
      `mutation CreateWebhook($input: CreateWebhookInput!) { createWebhook(input: $input) { __typename
        ... on CreateWebhookPayload { secret webhook { ${WEBHOOK} } } ${RESULT_ERROR} } }`,
      { input },
    );
    return result(data.createWebhook, (p) => ({ webhook: p.webhook, secret: p.secret }));
  }

  async setWebhookEnabled(id: string, enabled: boolean): Promise<Result<Webhook>> {
    const data = await this.transport.request<{ updateWebhook: { __typename: string; webhook: Webhook } }>(
      `mutation EnableWebhook($input: UpdateWebhookInput!) { updateWebhook(input: $input) { __typename
        ... on UpdateWebhookPayload { webhook { ${WEBHOOK} } } ${RESULT_ERROR} } }`,
      { input: { id, enabled } },
    );
    return result(data.updateWebhook, (p) => p.webhook);
  }

  async rotateWebhookSecret(id: string): Promise<Result<{ webhook: Webhook; secret: string }>> {
    const data = await this.transport.request<{
      rotateWebhookSecret: { __typename: string; webhook: Webhook; secret: string };
    }>(
      `mutation RotateWebhookSecret($id: ID!) { rotateWebhookSecret(input: { id: $id }) { __typename
        ... on RotateWebhookSecretPayload { secret webhook { ${WEBHOOK} } } ${RESULT_ERROR} } }`,
      { id },
    );
    return result(data.rotateWebhookSecret, (p) => ({ webhook: p.webhook, secret: p.secret }));
  }

  async deleteWebhook(id: string): Promise<Result<string>> {
    const data = await this.transport.request<{ deleteWebhook: { __typename: string; deletedId: string } }>(
      `mutation DeleteWebhook($id: ID!) { deleteWebhook(input: { id: $id }) { __typename
        ... on DeleteWebhookPayload { deletedId } ${RESULT_ERROR} } }`,
      { id },
    );
    return result(data.deleteWebhook, (p) => p.deletedId);
  }

  async pingWebhook(id: string): Promise<Result<string>> {
    const data = await this.transport.request<{
      pingWebhook: { __typename: string; delivery: { id: string } };
    }>(
      `mutation PingWebhook($id: ID!) { pingWebhook(input: { id: $id }) { __typename
        ... on PingWebhookPayload { delivery { id } } ${RESULT_ERROR} } }`,
      { id },
    );
    return result(data.pingWebhook, (p) => p.delivery.id);
  }

  async redeliver(deliveryId: string): Promise<Result<string>> {
    const data = await this.transport.request<{
      redeliverWebhookDelivery: { __typename: string; delivery: { id: string } };
    }>(
      `mutation Redeliver($id: ID!) { redeliverWebhookDelivery(input: { id: $id }) { __typename
        ... on RedeliverWebhookDeliveryPayload { delivery { id } } ${RESULT_ERROR} } }`,
      { id: deliveryId },
    );
    return result(data.redeliverWebhookDelivery, (p) => p.delivery.id);
  }

  async auditEvents(filter: AuditFilter, after: string | null): Promise<Page<AuditEvent>> {
    const data = await this.transport.request<{ auditEvents: Connection<AuditEvent> }>(
      `query Audit($filter: AuditEventFilter, $after: String, $first: Int) { auditEvents(first: $first, after: $after, filter: $filter) {
        edges { node { id at action outcome actorKey { id name prefix } actorComponent targetType targetId
          clientIp details } } pageInfo { hasNextPage endCursor } } }`,
      { filter, after, first: 50 },
    );
    return page(data.auditEvents);
  }
}

export { ApiError, type ConnectionState };
