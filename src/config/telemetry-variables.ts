import { z } from 'zod';
import { bool, httpUrl, int, keyValues } from './parsers.js';
import { type Values, variable } from './variable.js';

const otlpProtocol = z.enum(['http/protobuf', 'http/json'], {
  message: 'must be "http/protobuf" or "http/json" (rdev exports traces over HTTP, port 4318 by convention)',
});

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** OpenTelemetry tracing, from the standard `OTEL_*` variables. */
export const TELEMETRY_VARIABLES = {
  OTEL_SDK_DISABLED: variable({
    schema: bool,
    default: 'false',
    doc: 'OpenTelemetry: `true` turns tracing off entirely (trace ids are still generated for logs and `traceparent` is still passed on).',
  }),
  OTEL_SERVICE_NAME: variable({
    field: 'tracing.serviceName',
    schema: z.string().min(1),
    default: 'rdev',
    doc: 'OpenTelemetry: `service.name` of the spans.',
  }),
  OTEL_RESOURCE_ATTRIBUTES: variable({
    field: 'tracing.resourceAttributes',
    schema: keyValues,
    default: '',
    doc: 'OpenTelemetry: extra resource attributes, `key=value,key=value` (e.g. `deployment.environment.name=prod`).',
  }),
  OTEL_TRACES_EXPORTER: variable({
    schema: z.enum(['otlp', 'none'], {
      message: 'must be "otlp" or "none" (rdev never prints spans to stdout, which carries its JSON logs)',
    }),
    default: 'otlp',
    doc: 'OpenTelemetry: `otlp` sends spans when an endpoint is set; `none` sends nothing.',
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: variable({
    schema: httpUrl,
    doc: 'OpenTelemetry: base URL of the OTLP/HTTP receiver (e.g. `http://otel-collector:4318`); traces go to `<url>/v1/traces`. Unset (with no traces endpoint): no spans are exported.',
  }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: variable({
    schema: httpUrl,
    doc: 'OpenTelemetry: full URL for traces, used as it is; overrides `OTEL_EXPORTER_OTLP_ENDPOINT`.',
  }),
  OTEL_EXPORTER_OTLP_PROTOCOL: variable({
    schema: otlpProtocol,
    default: 'http/protobuf',
    doc: 'OpenTelemetry: OTLP encoding over HTTP, `http/protobuf` or `http/json` (gRPC is not supported).',
  }),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: variable({
    schema: otlpProtocol,
    doc: 'OpenTelemetry: OTLP encoding for traces; overrides `OTEL_EXPORTER_OTLP_PROTOCOL`.',
  }),
  OTEL_EXPORTER_OTLP_HEADERS: variable({
    schema: keyValues,
    default: '',
    doc: 'OpenTelemetry: headers sent with every export, `key=value,key=value` (e.g. an authorization token for the collector).',
  }),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: variable({
    schema: keyValues,
    default: '',
    doc: 'OpenTelemetry: headers for trace exports, added to (and overriding) `OTEL_EXPORTER_OTLP_HEADERS`.',
  }),
  OTEL_EXPORTER_OTLP_TIMEOUT: variable({
    schema: int(1, 600_000),
    default: '10000',
    doc: 'OpenTelemetry: time limit of one export, in milliseconds.',
  }),
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: variable({
    schema: int(1, 600_000),
    doc: 'OpenTelemetry: time limit of one trace export; overrides `OTEL_EXPORTER_OTLP_TIMEOUT`.',
  }),
  OTEL_TRACES_SAMPLER: variable({
    field: 'tracing.sampler',
    schema: z.enum(SAMPLERS, { message: `must be one of ${SAMPLERS.join(', ')}` }),
    default: 'parentbased_always_on',
    doc: "OpenTelemetry: which traces are recorded. The `parentbased_` samplers follow the caller's `traceparent` decision.",
  }),
  OTEL_TRACES_SAMPLER_ARG: variable({
    field: 'tracing.samplerRatio',
    schema: z
      .string()
      .regex(/^(0(\.\d+)?|1(\.0+)?)$/, { message: 'must be a number from 0 to 1' })
      .transform(Number),
    default: '1',
    doc: 'OpenTelemetry: share of traces the `traceidratio` samplers record, from 0 to 1.',
  }),
  RDEV_TRACE_GRAPHQL_DOCUMENT_BYTES: variable({
    field: 'tracing.graphqlDocumentMaxBytes',
    schema: int(0, 65_536),
    default: '0',
    doc: 'Record the GraphQL document on operation spans (`graphql.document`), cut to this many bytes; 0 records none. Documents can hold inline argument values, so leave it at 0 unless clients pass values as variables.',
  }),
};

/** What the OpenTelemetry specification makes of pairs: the traces-specific variable wins. */
export function combinedTelemetrySettings(v: Values<typeof TELEMETRY_VARIABLES>) {
  return {
    tracing: {
      disabled: v.OTEL_SDK_DISABLED || v.OTEL_TRACES_EXPORTER === 'none',
      endpoint:
        v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
        (v.OTEL_EXPORTER_OTLP_ENDPOINT
          ? `${v.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`
          : null),
      protocol: v.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? v.OTEL_EXPORTER_OTLP_PROTOCOL,
      headers: { ...v.OTEL_EXPORTER_OTLP_HEADERS, ...v.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
      timeoutMs: v.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? v.OTEL_EXPORTER_OTLP_TIMEOUT,
    },
  };
}
