import { type Context, context, createContextKey, isSpanContextValid, trace } from '@opentelemetry/api';

/**
 * What every log line of a request carries, read from the active OpenTelemetry context (which
 * follows the request through every `await`): its request id, and the trace and span ids an
 * operator pastes into the tracing UI.
 */
const REQUEST_ID = createContextKey('rdev.request_id');

/** `ctx` with the request id set, for `context.with(...)` around the work of one request. */
export function withRequestId(ctx: Context, requestId: string): Context {
  return ctx.setValue(REQUEST_ID, requestId);
}

/** The request id of the work in progress, if it runs for a request. */
export function activeRequestId(): string | undefined {
  const value = context.active().getValue(REQUEST_ID);
  return typeof value === 'string' ? value : undefined;
}

/** Fields pino adds to every line: `requestId`, `trace_id`, `span_id` (the OpenTelemetry log names). */
export function logCorrelation(): Record<string, string> {
  const active = context.active();
  const fields: Record<string, string> = {};
  const requestId = active.getValue(REQUEST_ID);
  if (typeof requestId === 'string') fields.requestId = requestId;
  const span = trace.getSpanContext(active);
  if (span && isSpanContextValid(span)) {
    fields.trace_id = span.traceId;
    fields.span_id = span.spanId;
  }
  return fields;
}
