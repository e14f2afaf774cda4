import { type Attributes, context, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { type DocumentNode, type ExecutionResult, getOperationAST, print } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { withRequestId } from '../observability/log-context.js';
import { redactSecrets } from '../observability/logger.js';
import type { GraphQLContext } from './context.js';

export interface OperationTracingOptions {
  tracer: Tracer;
  /** Longest `graphql.document` recorded; 0 records none (documents may hold inline values). */
  documentMaxBytes: number;
}

/**
 * One span per GraphQL operation (query, mutation, or a subscription until it ends) with the
 * OpenTelemetry semantic convention attributes `graphql.operation.name`, `graphql.operation.type`
 * and, when enabled, a bounded `graphql.document`. Execution runs inside the span, so the
 * database and runtime spans of the resolvers become its children. Written here rather than taken
 * from `@envelop/opentelemetry`, whose names, document recording and span handling differ (see
 * docs/architecture.md, Observability).
 */
export function useOperationTracing(options: OperationTracingOptions): Plugin {
  const start = (document: DocumentNode, operationName: string | null | undefined, ctx: unknown) => {
    const op = getOperationAST(document, operationName);
    const type = op?.operation ?? 'query';
    const name = op?.name?.value;
    const attributes: Attributes = { 'graphql.operation.type': type };
    if (name) attributes['graphql.operation.name'] = name;
    if (options.documentMaxBytes > 0) {
      attributes['graphql.document'] = bounded(redactSecrets(print(document)), options.documentMaxBytes);
    }
    const parent = context.active();
    const span = options.tracer.startSpan(name ? `${type} ${name}` : type, { attributes }, parent);
    const requestId = (ctx as Partial<GraphQLContext> | undefined)?.requestId;
    const spanContext = trace.setSpan(parent, span);
    return { span, ctx: requestId ? withRequestId(spanContext, requestId) : spanContext };
  };

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const { span, ctx } = start(args.document, args.operationName, args.contextValue);
      setExecuteFn((a) => context.with(ctx, () => executeFn(a)));
      return {
        onExecuteDone({ result }) {
          if (Symbol.asyncIterator in result) {
            return { onNext: ({ result: r }) => markErrors(span, r), onEnd: () => span.end() };
          }
          markErrors(span, result);
          span.end();
          return undefined;
        },
      };
    },
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const { span, ctx } = start(args.document, args.operationName, args.contextValue);
      setSubscribeFn((a) => context.with(ctx, () => subscribeFn(a)));
      return {
        onSubscribeError({ error }) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: describe(error) });
          span.end();
        },
        onSubscribeResult({ result }) {
          if (!(Symbol.asyncIterator in result)) {
            markErrors(span, result as ExecutionResult);
            span.end();
            return undefined;
          }
          return { onNext: ({ result: r }) => markErrors(span, r), onEnd: () => span.end() };
        },
      };
    },
  };
}

function markErrors(span: Span, result: ExecutionResult): void {
  const errors = result.errors ?? [];
  if (errors.length === 0) return;
  const codes = [...new Set(errors.map((e) => String(e.extensions?.code ?? 'INTERNAL')))];
  span.setAttribute('rdev.graphql.error_codes', codes);
  span.setStatus({ code: SpanStatusCode.ERROR, message: describe(errors[0]) });
}

function describe(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error)).slice(0, 500);
}

/** At most `maxBytes` of UTF-8, cut on a character boundary and marked with `…` when cut. */
function bounded(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const mark = maxBytes > 3 ? '…' : '';
  const room = maxBytes - Buffer.byteLength(mark);
  return `${Buffer.from(text)
    .subarray(0, room)
    .toString('utf8')
    .replace(/\uFFFD+$/, '')}${mark}`;
}
