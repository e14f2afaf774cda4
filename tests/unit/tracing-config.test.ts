import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('OpenTelemetry settings', () => {
  it('export nothing unless an endpoint is set', () => {
    const { tracing } = loadConfig({});
    expect(tracing).toMatchObject({
      disabled: false,
      endpoint: null,
      protocol: 'http/protobuf',
      serviceName: 'rdev',
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      graphqlDocumentMaxBytes: 0,
    });
  });

  it('read the standard variables, the traces-specific ones winning', () => {
    const { tracing } = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic%20abc,x-tenant=one',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=two',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'rdev-eu',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,service.namespace=dev%20tools',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(tracing).toMatchObject({
      endpoint: 'http://collector:4318/v1/traces',
      headers: { authorization: 'Basic abc', 'x-tenant': 'two' },
      timeoutMs: 2500,
      protocol: 'http/json',
      serviceName: 'rdev-eu',
      resourceAttributes: { 'deployment.environment.name': 'prod', 'service.namespace': 'dev tools' },
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
    });
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/v1/spans',
      }).tracing.endpoint,
    ).toBe('https://traces.example/v1/spans');
  });

  it('turn off with OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none', () => {
    expect(loadConfig({ OTEL_SDK_DISABLED: 'true' }).tracing.disabled).toBe(true);
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'none' }).tracing.disabled).toBe(true);
  });

  it('refuse what rdev cannot do, saying why, all at once', () => {
    const found = problems({
      OTEL_TRACES_EXPORTER: 'console',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
      OTEL_TRACES_SAMPLER_ARG: '1.5',
      OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign',
    });
    expect(found).toHaveLength(5);
    expect(found.join('\n')).toMatch(/OTEL_TRACES_EXPORTER="console": .*never prints spans to stdout/);
    expect(found.join('\n')).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL="grpc": .*over HTTP/);
  });
});
