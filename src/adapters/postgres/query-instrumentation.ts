import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_SUMMARY,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';
import type {
  AliasNode,
  KyselyPlugin,
  OperationNode,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryId,
  QueryResult,
  RootOperationNode,
  TableNode,
  UnknownRow,
} from 'kysely';

export interface QueryInstrumentationOptions {
  tracer: Tracer;
  /** After every query this app ran: its duration and whether it failed. */
  onQuery(seconds: number, failed: boolean): void;
}

interface Pending {
  started: number;
  span: Span | null;
}

/**
 * Times every query of one app and traces it as a client span (`db.system.name`,
 * `db.operation.name`, `db.collection.name`) under the span that ran it. Queries outside any
 * recorded span (pollers, lease renewals) are timed but not traced, so background loops do not
 * flood the tracing backend with one-span traces.
 *
 * A Kysely plugin sees a query start and succeed but not fail: the database handle reports
 * failures (`DatabaseHandle.onQueryError`) and the app passes them to {@link failed}.
 */
export class QueryInstrumentation implements KyselyPlugin {
  private readonly pending = new WeakMap<QueryId, Pending>();

  constructor(private readonly options: QueryInstrumentationOptions) {}

  transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    const parent = trace.getSpan(context.active());
    let span: Span | null = null;
    if (parent?.isRecording()) {
      const { operation, table } = describeQuery(node);
      const summary = table ? `${operation} ${table}` : operation;
      const attributes: Attributes = {
        [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
        [ATTR_DB_OPERATION_NAME]: operation,
        [ATTR_DB_QUERY_SUMMARY]: summary,
      };
      if (table) attributes[ATTR_DB_COLLECTION_NAME] = table;
      span = this.options.tracer.startSpan(summary, { kind: SpanKind.CLIENT, attributes });
    }
    this.pending.set(queryId, { started: performance.now(), span });
    return node;
  }

  async transformResult({ result, queryId }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.end(queryId, null);
    return result;
  }

  /** A query of this app failed (reported by the database handle); ignored for other apps' queries. */
  failed(queryId: QueryId, error: unknown): void {
    this.end(queryId, error);
  }

  private end(queryId: QueryId, error: unknown): void {
    const pending = this.pending.get(queryId);
    if (!pending) return;
    this.pending.delete(queryId);
    this.options.onQuery((performance.now() - pending.started) / 1000, error !== null);
    if (!pending.span) return;
    if (error !== null) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string') pending.span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, code);
      pending.span.setAttribute(ATTR_ERROR_TYPE, typeof code === 'string' ? code : errorName(error));
      pending.span.setStatus({ code: SpanStatusCode.ERROR, message: errorName(error) });
    }
    pending.span.end();
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

const RAW_TABLE = /\b(?:from|into|update)\s+"?([a-z_][a-z0-9_]*)"?/i;

/** The statement's verb and main table, without any value (nothing user-supplied reaches a span). */
export function describeQuery(node: RootOperationNode): { operation: string; table: string | null } {
  switch (node.kind) {
    case 'SelectQueryNode':
      return { operation: 'SELECT', table: tableName(node.from?.froms[0]) };
    case 'InsertQueryNode':
      return { operation: 'INSERT', table: tableName(node.into) };
    case 'UpdateQueryNode':
      return { operation: 'UPDATE', table: tableName(node.table) };
    case 'DeleteQueryNode':
      return { operation: 'DELETE', table: tableName(node.from.froms[0]) };
    case 'MergeQueryNode':
      return { operation: 'MERGE', table: tableName(node.into) };
    case 'RawNode': {
      const text = node.sqlFragments.join(' ? ').trim();
      const operation = /^[A-Za-z]+/.exec(text)?.[0]?.toUpperCase() ?? 'QUERY';
      return { operation, table: RAW_TABLE.exec(text)?.[1] ?? null };
    }
    default:
      return { operation: node.kind.replace(/Node$/, '').toUpperCase(), table: null };
  }
}

function tableName(node: OperationNode | undefined): string | null {
  if (!node) return null;
  if (node.kind === 'TableNode') return (node as TableNode).table.identifier.name;
  if (node.kind === 'AliasNode') return tableName((node as AliasNode).node);
  return null;
}
