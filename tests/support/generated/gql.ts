/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query CommandsPage($first: Int) {\n  commands(first: $first) {\n    edges {\n      node {\n        id\n        type\n        status\n        priority\n        createdAt\n        startedAt\n        finishedAt\n        exitCode\n        error\n        argv\n        projectName\n        project {\n          name\n        }\n      }\n    }\n    pageInfo {\n      endCursor\n    }\n  }\n}": typeof types.CommandsPageDocument,
    "query ServerInfo {\n  serverInfo {\n    version\n    runtime\n    database\n    startedAt\n  }\n}": typeof types.ServerInfoDocument,
    "query WebhookDeliveriesPage($id: ID!, $first: Int, $attempts: Int) {\n  node(id: $id) {\n    ... on Webhook {\n      deliveries(first: $first) {\n        edges {\n          node {\n            id\n            eventType\n            status\n            attemptCount\n            createdAt\n            lastAttemptAt\n            lastStatusCode\n            lastError\n            nextAttemptAt\n            projectName\n            attempts(first: $attempts) {\n              edges {\n                node {\n                  at\n                  statusCode\n                  durationMs\n                  error\n                  manual\n                  succeeded\n                }\n              }\n            }\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n}": typeof types.WebhookDeliveriesPageDocument,
};
const documents: Documents = {
    "query CommandsPage($first: Int) {\n  commands(first: $first) {\n    edges {\n      node {\n        id\n        type\n        status\n        priority\n        createdAt\n        startedAt\n        finishedAt\n        exitCode\n        error\n        argv\n        projectName\n        project {\n          name\n        }\n      }\n    }\n    pageInfo {\n      endCursor\n    }\n  }\n}": types.CommandsPageDocument,
    "query ServerInfo {\n  serverInfo {\n    version\n    runtime\n    database\n    startedAt\n  }\n}": types.ServerInfoDocument,
    "query WebhookDeliveriesPage($id: ID!, $first: Int, $attempts: Int) {\n  node(id: $id) {\n    ... on Webhook {\n      deliveries(first: $first) {\n        edges {\n          node {\n            id\n            eventType\n            status\n            attemptCount\n            createdAt\n            lastAttemptAt\n            lastStatusCode\n            lastError\n            nextAttemptAt\n            projectName\n            attempts(first: $attempts) {\n              edges {\n                node {\n                  at\n                  statusCode\n                  durationMs\n                  error\n                  manual\n                  succeeded\n                }\n              }\n            }\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n}": types.WebhookDeliveriesPageDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query CommandsPage($first: Int) {\n  commands(first: $first) {\n    edges {\n      node {\n        id\n        type\n        status\n        priority\n        createdAt\n        startedAt\n        finishedAt\n        exitCode\n        error\n        argv\n        projectName\n        project {\n          name\n        }\n      }\n    }\n    pageInfo {\n      endCursor\n    }\n  }\n}"): (typeof documents)["query CommandsPage($first: Int) {\n  commands(first: $first) {\n    edges {\n      node {\n        id\n        type\n        status\n        priority\n        createdAt\n        startedAt\n        finishedAt\n        exitCode\n        error\n        argv\n        projectName\n        project {\n          name\n        }\n      }\n    }\n    pageInfo {\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ServerInfo {\n  serverInfo {\n    version\n    runtime\n    database\n    startedAt\n  }\n}"): (typeof documents)["query ServerInfo {\n  serverInfo {\n    version\n    runtime\n    database\n    startedAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query WebhookDeliveriesPage($id: ID!, $first: Int, $attempts: Int) {\n  node(id: $id) {\n    ... on Webhook {\n      deliveries(first: $first) {\n        edges {\n          node {\n            id\n            eventType\n            status\n            attemptCount\n            createdAt\n            lastAttemptAt\n            lastStatusCode\n            lastError\n            nextAttemptAt\n            projectName\n            attempts(first: $attempts) {\n              edges {\n                node {\n                  at\n                  statusCode\n                  durationMs\n                  error\n                  manual\n                  succeeded\n                }\n              }\n            }\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n}"): (typeof documents)["query WebhookDeliveriesPage($id: ID!, $first: Int, $attempts: Int) {\n  node(id: $id) {\n    ... on Webhook {\n      deliveries(first: $first) {\n        edges {\n          node {\n            id\n            eventType\n            status\n            attemptCount\n            createdAt\n            lastAttemptAt\n            lastStatusCode\n            lastError\n            nextAttemptAt\n            projectName\n            attempts(first: $attempts) {\n              edges {\n                node {\n                  at\n                  statusCode\n                  durationMs\n                  error\n                  manual\n                  succeeded\n                }\n              }\n            }\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;