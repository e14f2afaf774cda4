import { context, TraceFlags, trace } from '@opentelemetry/api';
import { expect, it } from 'vitest';
import { UnsampledTracer } from '../../src/observability/unsampled-tracer.js';

const tracer = new UnsampledTracer();

it('gives every new trace and span ids of its own, well formed and not sampled', () => {
  const spans = Array.from({ length: 5_000 }, () => tracer.startSpan('x').spanContext());
  expect(spans.every((s) => /^[0-9a-f]{32}$/.test(s.traceId) && /^[0-9a-f]{16}$/.test(s.spanId))).toBe(true);
  expect(spans.every((s) => s.traceFlags === TraceFlags.NONE && !/^0+$/.test(s.traceId))).toBe(true);
  expect(new Set(spans.map((s) => s.traceId)).size).toBe(spans.length);
  expect(new Set(spans.map((s) => s.spanId)).size).toBe(spans.length);
});

it('continues the trace of its parent with a span id of its own, unless asked for a root', () => {
  const parent = tracer.startSpan('parent');
  const inParent = trace.setSpan(context.active(), parent);
  const child = tracer.startSpan('child', {}, inParent).spanContext();
  expect(child.traceId).toBe(parent.spanContext().traceId);
  expect(child.spanId).not.toBe(parent.spanContext().spanId);
  expect(tracer.startSpan('root', { root: true }, inParent).spanContext().traceId).not.toBe(
    parent.spanContext().traceId,
  );
});
