import {
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  ROOT_CONTEXT,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * W3C trace context (`traceparent`, `tracestate`) in and out of rdev: read from requests, written
 * into outgoing webhook requests and process environments, stored with queued work so a later
 * claim on another replica continues the trace.
 */
const propagator = new W3CTraceContextPropagator();

/** `traceparent` of the active (or given) context, or null when there is no valid span in it. */
export function traceparentOf(ctx: Context = context.active()): string | null {
  const span = trace.getSpanContext(ctx);
  if (!span || !isSpanContextValid(span)) return null;
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  return carrier.traceparent ?? null;
}

/** The remote parent a stored `traceparent` stands for; the root context when it is missing or invalid. */
export function contextOfTraceparent(traceparent: string | null | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
}

/** The context a request continues: its valid `traceparent` (and `tracestate`), else the root. */
export function extractTraceContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagator.extract(ROOT_CONTEXT, headers, headerGetter);
}

/** Writes `traceparent` (and `tracestate`) of `ctx` into `carrier`, when it holds a valid span. */
export function injectTraceContext(carrier: Record<string, string>, ctx: Context = context.active()): void {
  if (traceparentOf(ctx)) propagator.inject(ctx, carrier, defaultTextMapSetter);
}

/** Node's incoming headers: lower-case names, repeated ones as arrays. */
const headerGetter: TextMapGetter<Record<string, string | string[] | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()],
};
