import { type DocumentNode, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { AppMetrics, SubscriptionTransport } from '../observability/metrics.js';

function describe(metrics: AppMetrics, document: DocumentNode, operationName?: string | null) {
  const op = getOperationAST(document, operationName);
  return { name: metrics.operationLabel(op?.name?.value), type: op?.operation ?? 'unknown' };
}

/** Counts and times GraphQL operations by (bounded) operation name and type. */
export function useOperationMetrics(metrics: AppMetrics): Plugin {
  return {
    onExecute({ args }) {
      const start = process.hrtime.bigint();
      const { name, type } = describe(metrics, args.document, args.operationName);
      return {
        onExecuteDone({ result }) {
          const seconds = Number(process.hrtime.bigint() - start) / 1e9;
          const failed = 'errors' in result && Array.isArray(result.errors) && result.errors.length > 0;
          metrics.graphqlOperations.inc({
            operation_name: name,
            operation_type: type,
            outcome: failed ? 'error' : 'ok',
          });
          metrics.graphqlDuration.observe({ operation_name: name, operation_type: type }, seconds);
        },
      };
    },
    onSubscribe({ args }) {
      const { name } = describe(metrics, args.document, args.operationName);
      metrics.graphqlOperations.inc({ operation_name: name, operation_type: 'subscription', outcome: 'ok' });
      return {
        onSubscribeResult({ result }) {
          if (!(Symbol.asyncIterator in result)) return undefined;
          // Counted while the stream is open; onEnd runs however it ends (completed, client gone,
          // revoked key), so the gauge cannot drift.
          const labels = { transport: transportOf(args.contextValue) };
          metrics.activeSubscriptions.inc(labels);
          return { onEnd: () => metrics.activeSubscriptions.dec(labels) };
        },
      };
    },
  };
}

/** graphql-ws marks its contexts; over HTTP the Accept header tells GraphQL over SSE from the rest. */
function transportOf(contextValue: unknown): SubscriptionTransport {
  const ctx = contextValue as { transport?: string; request?: Request };
  if (ctx.transport === 'ws') return 'graphql-ws';
  return ctx.request?.headers.get('accept')?.includes('text/event-stream') ? 'graphql-sse' : 'http';
}
