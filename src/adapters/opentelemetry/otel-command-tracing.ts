import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { CommandEnd } from '../../domain/command.js';
import { contextOfTraceparent, traceparentOf } from '../../observability/trace-context.js';
import type { ClaimedCommand } from '../../ports/command-store.js';
import type { CommandRunTrace, CommandTracing } from '../../ports/command-tracing.js';
import type { WorkspaceRuntime } from '../../ports/workspace-runtime.js';

/**
 * Command spans with OpenTelemetry, continuing the trace stored with the command:
 *
 * - `queue claim`: from the start of the claim transaction to its commit, with the time the
 *   command waited (`rdev.queue.wait_seconds`);
 * - `command run`: from the claim (or adoption) to the end on this replica, with the final status;
 *   its children are `runtime start` / `runtime stop` (with the Kubernetes exec spans under them)
 *   and `command finish` (the terminal status and its database writes).
 *
 * The started process gets the `runtime start` span as `TRACEPARENT`, so a traced tool inside it
 * (the Claude CLI, a test runner) joins the same trace.
 */
export class OtelCommandTracing implements CommandTracing {
  constructor(private readonly tracer: Tracer) {}

  run(command: ClaimedCommand, claimStartedAt?: number): CommandRunTrace {
    const tracer = this.tracer;
    const requestContext = contextOfTraceparent(command.traceContext);
    const attributes: Attributes = {
      'rdev.command.id': command.id,
      'rdev.command.type': command.type,
      'rdev.project.name': command.projectName,
    };
    let parent = requestContext;
    if (claimStartedAt !== undefined) {
      const claim = tracer.startSpan(
        'queue claim',
        {
          startTime: claimStartedAt,
          attributes: {
            ...attributes,
            'rdev.command.priority': command.priority,
            'rdev.command.start_attempt': command.startAttempts,
            'rdev.queue.wait_seconds': Math.max(0, (claimStartedAt - command.createdAt.getTime()) / 1000),
          },
        },
        requestContext,
      );
      claim.end();
      parent = trace.setSpan(requestContext, claim);
    }
    const span = tracer.startSpan(
      'command run',
      { attributes: { ...attributes, 'rdev.command.adopted': claimStartedAt === undefined } },
      parent,
    );
    const runContext = trace.setSpan(parent, span);
    const quiet = suppressTracing(runContext);
    return {
      runtime: (runtime) => tracedRuntime(runtime, tracer, runContext),
      finishing: (end, fn) => {
        recordEnd(span, end);
        return inSpan(tracer, 'command finish', { 'rdev.command.status': end.status }, runContext, fn);
      },
      untraced: (fn) => context.with(quiet, fn),
      end: () => span.end(),
    };
  }
}

function recordEnd(span: Span, end: CommandEnd): void {
  span.setAttribute('rdev.command.status', end.status);
  if (end.exitCode !== null) span.setAttribute('process.exit.code', end.exitCode);
  if (end.signal) span.setAttribute('rdev.command.signal', end.signal);
  if (end.status !== 'SUCCEEDED') {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (end.error ?? end.status).slice(0, 200) });
  }
}

/** Runs `fn` in a new child span of `parent`, ending it (with the error, if any) when `fn` settles. */
function inSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  parent: Context,
  fn: (span: Span) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  return tracer.startActiveSpan(name, { kind, attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      span.setAttribute('error.type', error instanceof Error ? error.name : 'Error');
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The runtime with `runtime start` and `runtime stop` spans under the run; reads stay untraced. */
function tracedRuntime(runtime: WorkspaceRuntime, tracer: Tracer, runContext: Context): WorkspaceRuntime {
  return {
    start: (target, spec) =>
      inSpan(
        tracer,
        'runtime start',
        { 'rdev.command.id': spec.commandId, 'rdev.project.name': target.projectName },
        runContext,
        async (span) => {
          const traceparent = traceparentOf();
          // A value the caller set for the command itself wins.
          const env = traceparent ? { TRACEPARENT: traceparent, ...spec.env } : spec.env;
          const state = await runtime.start(target, { ...spec, env });
          span.setAttribute('rdev.run.state', state.state);
          return state;
        },
      ),
    stop: (target, commandId, graceSeconds) =>
      inSpan(
        tracer,
        'runtime stop',
        { 'rdev.command.id': commandId, 'rdev.project.name': target.projectName },
        runContext,
        async (span) => {
          const outcome = await runtime.stop(target, commandId, graceSeconds);
          span.setAttribute('rdev.run.stop_outcome', outcome);
          return outcome;
        },
      ),
    follow: (target, commandId, offsets, signal) => runtime.follow(target, commandId, offsets, signal),
    isGitRepository: (target) => runtime.isGitRepository(target),
    status: (target, commandId) => runtime.status(target, commandId),
    writeInput: (target, commandId, input) => runtime.writeInput(target, commandId, input),
    remove: (target, commandId) => runtime.remove(target, commandId),
  };
}
