import type { ServerResponse } from 'node:http';
import { isTerminal, type OutputEvent } from '../domain/command.js';
import { commandJson } from '../domain/command-json.js';
import { DomainError, NotFoundError, ValidationError } from '../domain/errors.js';
import { encodeGlobalId, localId } from '../domain/global-id.js';
import { legacyOutputEventJson } from '../domain/output-event-wire.js';
import type { LiveStreams } from '../engine/live-streams.js';
import type { Logger } from '../observability/logger.js';
import type { AppMetrics } from '../observability/metrics.js';
import type { CommandOutputReader } from '../services/command-output-reader.js';
import type { CommandService, RunClaudeInput, RunShellInput } from '../services/command-service.js';
import { readBody } from './fetch-bridge.js';
import type { RequestInfo, RouteHandler } from './http-server.js';
import { restErrorBody, sendError, sendJson } from './json-response.js';
import { type SseEvent, SseStream } from './sse-stream.js';

export interface LegacyRoutesDeps {
  commands: CommandService;
  output: CommandOutputReader;
  metrics: AppMetrics;
  logger: Logger;
  maxBodyBytes: number;
  /** Interval of the SSE keep-alive comment. */
  keepAliveMs: number;
  /** The registry of live streams: caps, and ending a stream whose key no longer allows it. */
  streams: LiveStreams;
}

export interface LegacyRoutes {
  handle: RouteHandler;
  /** Ends every open stream (shutdown); clients resume elsewhere with `Last-Event-ID`. */
  closeStreams(): void;
}

const PROJECT_COMMAND = /^\/api\/v1\/projects\/([^/]+)\/(claude|shell)$/;
const COMMAND = /^\/api\/v1\/commands\/([^/]+)$/;
const COMMAND_STREAM = /^\/api\/v1\/commands\/([^/]+)\/stream$/;
const CURSOR = /^\d{1,9}$/;

const CLAUDE_FIELDS = [
  'prompt',
  'priority',
  'idempotencyKey',
  'timeoutSeconds',
  'resumeSessionId',
  'maxTurns',
  'allowedTools',
  'model',
];
const SHELL_FIELDS = ['argv', 'script', 'priority', 'idempotencyKey', 'timeoutSeconds', 'env', 'cwd'];

/**
 * The REST and SSE routes of rdev's first API (`/api/v1`), kept for existing clients: start a
 * CLAUDE or SHELL command, read it, and stream its output with resume by `Last-Event-ID`. They
 * call the same service methods as GraphQL, so scopes, grants, policy and limits are the same.
 */
export function createLegacyRoutes(deps: LegacyRoutesDeps): LegacyRoutes {
  const streams = new Set<() => void>();

  const handle: RouteHandler = async (info) => {
    const { url, req, res } = info;
    if (!url.pathname.startsWith('/api/v1/')) return false;
    const method = req.method ?? 'GET';
    try {
      let m = PROJECT_COMMAND.exec(url.pathname);
      if (m) {
        if (method !== 'POST') return methodNotAllowed(res, 'POST');
        await startCommand(info, segment(m[1]!), m[2] as 'claude' | 'shell');
        return true;
      }
      m = COMMAND_STREAM.exec(url.pathname);
      if (m) {
        if (method !== 'GET') return methodNotAllowed(res, 'GET');
        await stream(info, localId(segment(m[1]!), 'Command'));
        return true;
      }
      m = COMMAND.exec(url.pathname);
      if (m) {
        if (method !== 'GET') return methodNotAllowed(res, 'GET');
        // The plain id these routes hand out, or the GraphQL global id of the same command.
        const id = localId(segment(m[1]!), 'Command');
        const command = await deps.commands.get(info.principal, id);
        if (!command) throw new NotFoundError('Command', id);
        sendJson(res, 200, {
          ...commandJson(command, await deps.commands.queuePosition(command)),
          streamUrl: streamUrl(command.id),
        });
        return true;
      }
      return false;
    } catch (error) {
      if (!(error instanceof DomainError)) {
        deps.logger.error({ err: error, requestId: info.requestId }, 'legacy route failed');
      }
      sendError(res, error);
      return true;
    }
  };

  async function startCommand(info: RequestInfo, projectName: string, kind: 'claude' | 'shell') {
    const body = await jsonBody(info, kind === 'claude' ? CLAUDE_FIELDS : SHELL_FIELDS);
    const header = info.req.headers['idempotency-key'];
    const idempotencyKey = body.idempotencyKey ?? (typeof header === 'string' ? header : undefined);
    // The service validates every field (types, sizes, ranges) as it does for GraphQL.
    const input = { ...body, projectName, idempotencyKey };
    const command =
      kind === 'claude'
        ? await deps.commands.runClaude(info.principal, input as unknown as RunClaudeInput)
        : await deps.commands.runShell(info.principal, input as unknown as RunShellInput);
    sendJson(
      info.res,
      202,
      {
        id: command.id,
        globalId: encodeGlobalId('Command', command.id),
        status: command.status,
        streamUrl: streamUrl(command.id),
      },
      { location: `/api/v1/commands/${command.id}` },
    );
  }

  async function stream(info: RequestInfo, id: string) {
    const { req, res, url, principal } = info;
    const after = cursor(req.headers['last-event-id'], url.searchParams.get('after'));
    const command = await deps.commands.get(principal, id);
    if (!command) throw new NotFoundError('Command', id);
    if (isTerminal(command.status) && after >= command.lastSeq) {
      // Everything, the end included, was delivered: 204 tells an EventSource not to reconnect.
      res.writeHead(204, { 'cache-control': 'no-store' });
      res.end();
      return;
    }
    const controller = new AbortController();
    const sse = new SseStream(res, { keepAliveMs: deps.keepAliveMs });
    const close = () => {
      controller.abort();
      sse.end();
    };
    // Registered before anything is sent, so a refusal (a cap) is still a JSON answer. Ended, an
    // EventSource reconnects and its key's refusal (401 or 403) stops it.
    const untrack = deps.streams.open({
      kind: 'subscription',
      principal: principal?.kind === 'key' ? principal : null,
      clientIp: info.clientIp,
      recheck: async (now) => {
        if (!(await deps.commands.get(now, id))) throw new NotFoundError('Command', id);
      },
      end: (error) => {
        void sse.send([{ event: 'error', data: JSON.stringify(restErrorBody(error)) }]).finally(close);
      },
    });
    let pages: AsyncIterableIterator<readonly OutputEvent[]>;
    try {
      pages = await deps.output.followOutputPages(principal, id, after, controller.signal);
    } catch (error) {
      untrack();
      throw error;
    }
    streams.add(close);
    res.once('close', close);
    deps.metrics.activeSubscriptions.inc({ transport: 'legacy-sse' });
    try {
      sse.open();
      for await (const page of pages) {
        if (!(await sse.send(page.map(sseEvent))) || page[page.length - 1]?.end) break;
      }
    } catch (error) {
      // Headers are out: the client sees the stream end and resumes from its last id.
      deps.logger.warn({ err: error, commandId: id, requestId: info.requestId }, 'SSE stream failed');
    } finally {
      streams.delete(close);
      untrack();
      res.off('close', close);
      deps.metrics.activeSubscriptions.dec({ transport: 'legacy-sse' });
      close();
      await pages.return?.();
    }
  }

  async function jsonBody(info: RequestInfo, fields: string[]): Promise<Record<string, unknown>> {
    const raw = await readBody(info.req, deps.maxBodyBytes);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new ValidationError([{ path: '', message: 'the body must be JSON' }]);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ValidationError([{ path: '', message: 'the body must be a JSON object' }]);
    }
    const unknown = Object.keys(body).filter((k) => !fields.includes(k));
    if (unknown.length > 0) {
      throw new ValidationError(
        unknown.map((k) => ({ path: k, message: `unknown field; known fields: ${fields.join(', ')}` })),
      );
    }
    return body as Record<string, unknown>;
  }

  return {
    handle,
    closeStreams() {
      for (const close of [...streams]) close();
    },
  };
}

function sseEvent(e: OutputEvent): SseEvent {
  return { id: e.seq, event: e.end ? 'end' : 'output', data: legacyOutputEventJson(e) };
}

function streamUrl(id: string): string {
  return `/api/v1/commands/${id}/stream`;
}

/** `Last-Event-ID` (what EventSource sends on reconnect), else `?after=`, else 0. */
function cursor(header: string | string[] | undefined, query: string | null): number {
  const value = typeof header === 'string' && header.trim() !== '' ? header.trim() : query;
  if (value === null || value === '') return 0;
  if (!CURSOR.test(value)) {
    throw new ValidationError([
      { path: 'Last-Event-ID', message: 'must be the seq of the last event received (a whole number)' },
    ]);
  }
  return Number(value);
}

function segment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function methodNotAllowed(res: ServerResponse, allow: string): true {
  sendJson(
    res,
    405,
    { error: { code: 'METHOD_NOT_ALLOWED', message: `Use ${allow} on this path.` } },
    { allow },
  );
  return true;
}
