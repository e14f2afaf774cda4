/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** Where a command is in its life: QUEUED, RUNNING, then one of the final statuses. */
export type CommandStatus =
  /** Stopped by `cancelCommand`. */
  | 'CANCELLED'
  /** Exited with another code, was killed by a signal, could not start, or its output could not be stored (the database kept refusing it; `error` says why). */
  | 'FAILED'
  /** Its workspace went away under it; its end is unknown. */
  | 'LOST'
  /** Waiting for a free slot in its project (`Project.maxConcurrentCommands`). */
  | 'QUEUED'
  /** Started in its workspace. */
  | 'RUNNING'
  /** Exited with code 0. */
  | 'SUCCEEDED'
  /** Stopped after `timeoutSeconds`. */
  | 'TIMED_OUT';

/** What a command runs. */
export type CommandType =
  /** The Claude Code CLI with a prompt (`runClaude`). */
  | 'CLAUDE'
  /** `git` with an allowed subcommand (`runGit`). */
  | 'GIT'
  /** A program or `sh -c` script (`runShell`). */
  | 'SHELL';

/** The database rdev stores its state in. */
export type DatabaseKind =
  /** Embedded PGlite, inside the rdev process. */
  | 'PGLITE'
  /** A PostgreSQL server. */
  | 'POSTGRES';

/** Where project workspaces come from. */
export type RuntimeKind =
  /** Pods found by label in a Kubernetes cluster. */
  | 'KUBERNETES'
  /** Folders under the workspaces folder on the rdev host. */
  | 'LOCAL';

/** PENDING until an attempt succeeds (SUCCEEDED) or rdev gives up (FAILED). */
export type WebhookDeliveryStatus =
  /** rdev gave up: the retry schedule is used up. `redeliverWebhookDelivery` can still send it. */
  | 'FAILED'
  /** Not yet delivered: an attempt is due or in flight. */
  | 'PENDING'
  /** An attempt got a 2xx answer. */
  | 'SUCCEEDED';

/** Event types a webhook can receive. On the wire (the body's `type`) they read `command.queued`, `project.discovered`, ... */
export type WebhookEventType =
  /** `command.cancelled` */
  | 'COMMAND_CANCELLED'
  /** `command.failed` */
  | 'COMMAND_FAILED'
  /** `command.lost` */
  | 'COMMAND_LOST'
  /** `command.queued` */
  | 'COMMAND_QUEUED'
  /** `command.started` */
  | 'COMMAND_STARTED'
  /** `command.succeeded` */
  | 'COMMAND_SUCCEEDED'
  /** `command.timed_out` */
  | 'COMMAND_TIMED_OUT'
  /** `project.changed` */
  | 'PROJECT_CHANGED'
  /** `project.discovered` */
  | 'PROJECT_DISCOVERED'
  /** `project.removed` */
  | 'PROJECT_REMOVED'
  /** `webhook.ping` */
  | 'WEBHOOK_PING';

export type CommandsPageQueryVariables = Exact<{
  first?: number | null | undefined;
}>;


export type CommandsPageQuery = { commands: { edges: Array<{ node: { id: string, type: CommandType, status: CommandStatus, priority: number, createdAt: string, startedAt: string | null, finishedAt: string | null, exitCode: number | null, error: string | null, argv: Array<string>, projectName: string, project: { name: string } | null } }>, pageInfo: { endCursor: string | null } } };

export type ServerInfoQueryVariables = Exact<{ [key: string]: never; }>;


export type ServerInfoQuery = { serverInfo: { version: string, runtime: RuntimeKind, database: DatabaseKind, startedAt: string } };

export type WebhookDeliveriesPageQueryVariables = Exact<{
  id: string | number;
  first?: number | null | undefined;
  attempts?: number | null | undefined;
}>;


export type WebhookDeliveriesPageQuery = { node:
    | { deliveries: { edges: Array<{ node: { id: string, eventType: WebhookEventType, status: WebhookDeliveryStatus, attemptCount: number, createdAt: string, lastAttemptAt: string | null, lastStatusCode: number | null, lastError: string | null, nextAttemptAt: string | null, projectName: string | null, attempts: { edges: Array<{ node: { at: string, statusCode: number | null, durationMs: number, error: string | null, manual: boolean, succeeded: boolean } }> } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } }
    | Record<PropertyKey, never>
   | null };


export const CommandsPageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"CommandsPage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"commands"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"priority"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"exitCode"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"argv"}},{"kind":"Field","name":{"kind":"Name","value":"projectName"}},{"kind":"Field","name":{"kind":"Name","value":"project"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<CommandsPageQuery, CommandsPageQueryVariables>;
export const ServerInfoDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ServerInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"serverInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"runtime"}},{"kind":"Field","name":{"kind":"Name","value":"database"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}}]}}]}}]} as unknown as DocumentNode<ServerInfoQuery, ServerInfoQueryVariables>;
export const WebhookDeliveriesPageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"WebhookDeliveriesPage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"attempts"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Webhook"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deliveries"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"eventType"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"attemptCount"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastAttemptAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastStatusCode"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}},{"kind":"Field","name":{"kind":"Name","value":"nextAttemptAt"}},{"kind":"Field","name":{"kind":"Name","value":"projectName"}},{"kind":"Field","name":{"kind":"Name","value":"attempts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"attempts"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"statusCode"}},{"kind":"Field","name":{"kind":"Name","value":"durationMs"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"manual"}},{"kind":"Field","name":{"kind":"Name","value":"succeeded"}}]}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<WebhookDeliveriesPageQuery, WebhookDeliveriesPageQueryVariables>;