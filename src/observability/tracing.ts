import { type Context, context, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';
import { extractTraceContext, injectTraceContext } from './trace-context.js';
import type { TracingSettings } from './tracing-settings.js';
import { UnsampledTracer } from './unsampled-tracer.js';

export type { SpanExporter, TracingSettings };

/** One app's tracing: its own provider (tests run several apps in one process), tracer and propagation. */
export interface AppTracing {
  readonly tracer: Tracer;
  /** Whether finished spans go anywhere (an exporter is configured and tracing is not disabled). */
  readonly exporting: boolean;
  readonly graphqlDocumentMaxBytes: number;
  /** The context a request continues: its `traceparent` (and `tracestate`) when valid, else a new trace. */
  extract(carrier: Record<string, string | string[] | undefined>): Context;
  /** Writes `traceparent` (and `tracestate`) of `ctx` into `carrier`, for an outgoing request. */
  inject(carrier: Record<string, string>, ctx?: Context): void;
  /** Sends the spans still buffered. */
  forceFlush(): Promise<void>;
  /** Sends what is buffered and stops; later spans are dropped. */
  shutdown(): Promise<void>;
}

/**
 * Context propagation through `await` for every app of the process (the one global piece). Always
 * installed, exporting or not: the request id and trace ids on every log line of a request come
 * from it.
 */
let contextManagerInstalled = false;
function installContextManager(): void {
  if (contextManagerInstalled) return;
  contextManagerInstalled = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/**
 * Builds an app's tracer. Spans are exported over OTLP/HTTP only when an endpoint is configured
 * (or a test passes an exporter), and only then is the OpenTelemetry SDK loaded; otherwise every
 * span is a cheap non-recording one that still carries trace ids, so logs and `traceparent`
 * propagation work the same. Spans are never printed.
 */
export async function createTracing(
  settings: TracingSettings,
  options: { serviceVersion: string; exporter?: SpanExporter },
): Promise<AppTracing> {
  installContextManager();
  const exporting = options.exporter !== undefined || (!settings.disabled && settings.endpoint !== null);
  const common = {
    exporting,
    graphqlDocumentMaxBytes: settings.graphqlDocumentMaxBytes,
    extract: extractTraceContext,
    inject: injectTraceContext,
  };
  if (!exporting) {
    const tracer: Tracer = new UnsampledTracer();
    return { ...common, tracer, forceFlush: async () => {}, shutdown: async () => {} };
  }
  const { createOtlpTracer } = await import('./otlp-tracing.js');
  return { ...common, ...createOtlpTracer(settings, options) };
}
