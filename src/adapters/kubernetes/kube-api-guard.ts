import { context, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState as CockatielState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  IsolatedCircuitError,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
} from 'cockatiel';
import { RuntimeUnavailableError } from '../../domain/errors.js';
import type { Logger } from '../../observability/logger.js';
import type { AppMetrics } from '../../observability/metrics.js';
import type { CircuitState } from '../../ports/project-source.js';
import { describeKubeError, isConnectionError, isServerFailure, kubeHttpStatus } from './kube-errors.js';

export interface KubeApiGuardOptions {
  /** Consecutive server failures (5xx, timeouts, connection errors) that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one probe call may try again. */
  openMs: number;
  /** Default time limit of one call; the half-open probe is bounded by it too. */
  timeoutMs: number;
  metrics?: AppMetrics;
  logger?: Logger;
  /** A client span per call (`kubernetes <verb>`), under the span that made it. */
  tracer?: Tracer;
}

/**
 * Verbs used as metric labels. Keep to a small fixed set: `list`, `get`, `watch` (until the stream
 * is established), `exec` (until the WebSocket is open), `create`, `delete`, `patch`.
 */
export type KubeVerb = 'list' | 'get' | 'watch' | 'exec' | 'create' | 'delete' | 'patch';

const STATE_NAMES: Record<number, CircuitState> = {
  [CockatielState.Closed]: 'CLOSED',
  [CockatielState.Open]: 'OPEN',
  [CockatielState.HalfOpen]: 'HALF_OPEN',
  [CockatielState.Isolated]: 'OPEN',
};

/**
 * The one way rdev calls the Kubernetes API: every call gets a time limit and goes through a
 * circuit breaker (cockatiel). Repeated 5xx answers, timeouts and connection errors open the
 * circuit; while it is open calls fail at once with `RUNTIME_UNAVAILABLE` instead of piling up on
 * a sick API server. After `openMs` a single probe is let through, bounded by the time limit, so
 * the breaker cannot stick half-open. A 4xx is an answer, not a failure: it never opens the
 * circuit and reaches the caller unchanged (404 → the pod is gone, 410 → relist).
 */
export class KubeApiGuard {
  private readonly breaker: CircuitBreakerPolicy;
  private readonly timeouts = new Map<number, ReturnType<typeof timeout>>();
  private readonly listeners = new Set<(state: CircuitState) => void>();
  private openedAt = 0;

  constructor(private readonly options: KubeApiGuardOptions) {
    this.breaker = circuitBreaker(
      handleWhen((e) => e instanceof TaskCancelledError || isServerFailure(e)),
      {
        halfOpenAfter: options.openMs,
        breaker: new ConsecutiveBreaker(options.failureThreshold),
      },
    );
    this.breaker.onStateChange((raw) => {
      const state = STATE_NAMES[raw] ?? 'OPEN';
      if (state === 'OPEN') this.openedAt = Date.now();
      this.recordState(state);
      const log = state === 'CLOSED' ? 'info' : 'warn';
      options.logger?.[log](
        { circuitState: state, lastFailure: this.lastFailureText() },
        `Kubernetes API circuit ${state.toLowerCase().replace('_', '-')}`,
      );
      for (const listener of [...this.listeners]) listener(state);
    });
    this.recordState('CLOSED');
  }

  get state(): CircuitState {
    return STATE_NAMES[this.breaker.state] ?? 'OPEN';
  }

  /** Calls `listener` on every state change; returns the function that stops it. */
  onStateChange(listener: (state: CircuitState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs one API call. `fn` receives a signal that aborts when the time limit passes; pass it to
   * the client so the request is cancelled rather than left hanging.
   * @throws RuntimeUnavailableError when the circuit is open, the call timed out, or the server
   *   failed (5xx, connection error). Any other error (a 4xx `ApiException`) is thrown unchanged.
   */
  async execute<T>(
    verb: KubeVerb,
    fn: (signal: AbortSignal) => Promise<T>,
    options: { timeoutMs?: number } = {},
  ): Promise<T> {
    const limitMs = options.timeoutMs ?? this.options.timeoutMs;
    const started = performance.now();
    const span = this.options.tracer?.startSpan(`kubernetes ${verb}`, {
      kind: SpanKind.CLIENT,
      attributes: { 'rdev.kubernetes.verb': verb, 'rdev.kubernetes.circuit_state': this.state },
    });
    const run = () =>
      this.breaker.execute(() => this.timeoutPolicy(limitMs).execute((_context, signal) => fn(signal)));
    try {
      const result = await (span ? context.with(trace.setSpan(context.active(), span), run) : run());
      this.record(verb, 'ok', started, span);
      return result;
    } catch (error) {
      throw this.translate(verb, error, limitMs, started, span);
    } finally {
      span?.end();
    }
  }

  private translate(
    verb: KubeVerb,
    error: unknown,
    limitMs: number,
    started: number,
    span: Span | undefined,
  ): unknown {
    if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
      this.record(verb, 'circuit_open', started, span);
      const retryAfterSeconds = Math.max(
        1,
        Math.ceil((this.openedAt + this.options.openMs - Date.now()) / 1000),
      );
      return new RuntimeUnavailableError(
        `The Kubernetes API is unavailable: the circuit breaker opened after ${this.options.failureThreshold} consecutive failures (last: ${this.lastFailureText()}). The next attempt is allowed in about ${retryAfterSeconds} s.`,
        { circuitState: 'OPEN', retryAfterSeconds },
      );
    }
    if (error instanceof TaskCancelledError) {
      this.record(verb, 'timeout', started, span);
      return new RuntimeUnavailableError(
        `The Kubernetes API did not answer a ${verb} request within ${limitMs} ms.`,
        { verb, timeoutMs: limitMs },
      );
    }
    const status = kubeHttpStatus(error);
    if (isServerFailure(error)) {
      this.record(verb, isConnectionError(error) ? 'connection_error' : 'server_error', started, span);
      return new RuntimeUnavailableError(
        `The Kubernetes API failed a ${verb} request (${describeKubeError(error)}).`,
        { verb, ...(status === undefined ? {} : { status }) },
      );
    }
    this.record(verb, status !== undefined && status < 500 ? 'client_error' : 'error', started, span);
    return error;
  }

  private lastFailureText(): string {
    const failure = this.breaker.lastFailure;
    if (!failure || !('error' in failure)) return 'none';
    return failure.error instanceof TaskCancelledError
      ? 'a request timed out'
      : describeKubeError(failure.error);
  }

  private timeoutPolicy(ms: number) {
    let policy = this.timeouts.get(ms);
    if (!policy) {
      // Aggressive: the caller gets its answer at the deadline even if the client ignores the signal.
      policy = timeout(ms, TimeoutStrategy.Aggressive);
      this.timeouts.set(ms, policy);
    }
    return policy;
  }

  private record(verb: KubeVerb, outcome: string, started: number, span?: Span): void {
    span?.setAttribute('rdev.kubernetes.outcome', outcome);
    // A 4xx is an answer the caller handles (404: pod gone), not a failed call.
    if (outcome !== 'ok' && outcome !== 'client_error') {
      span?.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
    }
    this.options.metrics?.kubeApiRequests.inc({ verb, outcome });
    if (outcome !== 'circuit_open') {
      this.options.metrics?.kubeApiDuration.observe({ verb }, (performance.now() - started) / 1000);
    }
  }

  private recordState(state: CircuitState): void {
    const gauge = this.options.metrics?.kubeCircuitState;
    if (!gauge) return;
    for (const s of ['CLOSED', 'OPEN', 'HALF_OPEN'] as const) {
      gauge.set({ state: s.toLowerCase() }, s === state ? 1 : 0);
    }
  }
}
