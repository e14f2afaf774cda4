import { randomBytes } from 'node:crypto';
import {
  type Context,
  context,
  isSpanContextValid,
  type Span,
  type SpanOptions,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';

// Ids come from a pool of random bytes filled 4 KB at a time (as `crypto.randomUUID` does): two
// `randomBytes` calls per span were 2.7 % of the CPU of a simple authenticated query.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  used += bytes;
  return pool.toString('hex', used - bytes, used);
}

/**
 * The tracer of an app that exports no spans: every span is a non-recording one, as the SDK makes
 * for a trace its sampler drops, but without loading the SDK. It continues the parent's trace or
 * starts a new one, so log lines still carry trace and span ids and `traceparent` is still passed
 * on (marked not sampled).
 */
export class UnsampledTracer implements Tracer {
  startSpan(_name: string, options?: SpanOptions, ctx: Context = context.active()): Span {
    const parent = options?.root ? undefined : trace.getSpanContext(ctx);
    const continues = parent !== undefined && isSpanContextValid(parent);
    return trace.wrapSpanContext({
      traceId: continues ? parent.traceId : randomHex(16),
      spanId: randomHex(8),
      traceFlags: TraceFlags.NONE,
      traceState: continues ? parent.traceState : undefined,
    });
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    ctx: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    const fn = rest.pop() as F;
    const [options, ctx = context.active()] = rest as [SpanOptions | undefined, Context | undefined];
    const span = this.startSpan(name, options, ctx);
    return context.with(trace.setSpan(ctx, span), () => fn(span)) as ReturnType<F>;
  }
}
