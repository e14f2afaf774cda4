import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  type Sampler,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { TracingSettings } from './tracing-settings.js';

function sampler(settings: TracingSettings): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.samplerRatio);
  const base: Record<string, Sampler> = {
    always_on: new AlwaysOnSampler(),
    always_off: new AlwaysOffSampler(),
    traceidratio: ratio,
  };
  if (settings.sampler.startsWith('parentbased_')) {
    return new ParentBasedSampler({ root: base[settings.sampler.slice('parentbased_'.length)]! });
  }
  return base[settings.sampler]!;
}

/**
 * The OpenTelemetry SDK, for an app that exports spans: to the configured OTLP/HTTP endpoint, or
 * to the exporter a test passes (spans read as soon as they end). Loaded only then: the SDK and
 * its exporters are several megabytes of memory that an app exporting nothing does not need.
 */
export function createOtlpTracer(
  settings: TracingSettings,
  options: { serviceVersion: string; exporter?: SpanExporter },
): { tracer: Tracer; forceFlush(): Promise<void>; shutdown(): Promise<void> } {
  const processors: SpanProcessor[] = [];
  if (options.exporter) {
    processors.push(new SimpleSpanProcessor(options.exporter));
  } else if (settings.endpoint) {
    const exporterOptions = {
      url: settings.endpoint,
      headers: settings.headers,
      timeoutMillis: settings.timeoutMs,
    };
    processors.push(
      new BatchSpanProcessor(
        settings.protocol === 'http/json'
          ? new OTLPJsonTraceExporter(exporterOptions)
          : new OTLPProtoTraceExporter(exporterOptions),
      ),
    );
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      ...settings.resourceAttributes,
      [ATTR_SERVICE_NAME]: settings.serviceName,
      [ATTR_SERVICE_VERSION]: options.serviceVersion,
    }),
    sampler: sampler(settings),
    spanProcessors: processors,
  });
  return {
    tracer: provider.getTracer('rdev', options.serviceVersion),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
