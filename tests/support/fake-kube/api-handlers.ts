import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocketServer } from 'ws';
import { discoveryDocument } from './discovery.js';
import { type ExecHub, parseExecRequest } from './exec-hub.js';
import type { FakeKubeFaults } from './faults.js';
import type { ObjectStore } from './object-store.js';
import { badRequest, failure, internalError, type KubeObject, type KubeStatus, notFound } from './objects.js';
import type { RequestLog } from './request-log.js';
import { injectedFailure, listJson, matchResourceRoute, objectFilter, type ResourceRoute } from './routes.js';
import { SelectorError } from './selectors.js';
import { tableJson, wantsTable } from './table.js';
import type { WatchHub } from './watch-hub.js';

export interface ApiHandlerDeps {
  namespace: string;
  store: ObjectStore;
  watches: WatchHub;
  exec: ExecHub;
  wss: WebSocketServer;
  faults: FakeKubeFaults;
  requests: RequestLog;
  podDir: (pod: string) => string;
  execEnv?: Record<string, string>;
}

type Reply = { code: number; body: unknown } | 'streaming';

const NOT_FOUND = failure(404, 'NotFound', 'the server could not find the requested resource');

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function rejectUpgrade(socket: Socket, status: KubeStatus): void {
  const body = JSON.stringify(status);
  socket.end(
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function statusReply(status: KubeStatus): Reply {
  return { code: status.code, body: status };
}

/** The request routing of the fake: plain HTTP requests and exec upgrades. */
export class ApiHandlers {
  /** Upgrade sockets not yet handed to the WebSocket server, destroyed on close. */
  readonly pendingUpgrades = new Set<Socket>();

  constructor(private readonly deps: ApiHandlerDeps) {}

  onRequest(req: IncomingMessage, res: ServerResponse): void {
    req.on('error', () => {});
    res.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = this.accept(req, url);
    this.deps.faults.admit(() => {
      try {
        const reply = this.reply(req, res, url, route);
        if (reply !== 'streaming') sendJson(res, reply.code, reply.body);
      } catch (err) {
        sendJson(res, 500, internalError(String(err)));
      }
    });
  }

  onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => {});
    this.pendingUpgrades.add(socket);
    socket.on('close', () => this.pendingUpgrades.delete(socket));
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = this.accept(req, url);
    this.deps.faults.admit(() => {
      if (!socket.destroyed) this.upgrade(req, socket, head, url, route);
    });
  }

  /** Decodes the request and logs it. */
  private accept(req: IncomingMessage, url: URL): ResourceRoute | undefined {
    const route = matchResourceRoute(url.pathname, url.searchParams);
    const verb = route?.verb ?? (discoveryDocument(url.pathname) ? 'discovery' : 'unsupported');
    this.deps.requests.add({
      method: req.method ?? 'GET',
      verb,
      path: url.pathname,
      query: url.searchParams,
      resource: route?.resource,
      name: route?.name,
      authorization: req.headers.authorization,
    });
    return route;
  }

  private reply(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    route: ResourceRoute | undefined,
  ): Reply {
    const { store, namespace } = this.deps;
    const injected = injectedFailure(this.deps.faults, route);
    if (injected) return statusReply(injected);
    const doc = discoveryDocument(url.pathname);
    if (doc && req.method === 'GET') return { code: 200, body: doc };
    if (!route) return statusReply(NOT_FOUND);
    if (route.verb === 'exec') return statusReply(badRequest('Upgrade request required'));
    if (req.method !== 'GET') {
      return statusReply(
        failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'),
      );
    }
    let matches: (obj: KubeObject) => boolean;
    try {
      matches = objectFilter(route, url.searchParams);
    } catch (err) {
      if (err instanceof SelectorError) return statusReply(badRequest(err.message));
      throw err;
    }
    if (route.verb === 'watch') {
      const timeout = url.searchParams.get('timeoutSeconds');
      this.deps.watches.serve(
        res,
        { resource: route.resource, kind: route.resource === 'pods' ? 'Pod' : 'ConfigMap', matches },
        {
          resourceVersion: url.searchParams.get('resourceVersion') ?? '',
          allowBookmarks: url.searchParams.get('allowWatchBookmarks') === 'true',
          timeoutSeconds: timeout ? Number(timeout) : undefined,
        },
      );
      return 'streaming';
    }
    const table = wantsTable(req.headers.accept);
    const rv = store.resourceVersion;
    if (route.verb === 'get') {
      const obj = route.namespace === namespace ? store.get(route.resource, route.name!) : undefined;
      if (!obj) return statusReply(notFound(route.resource, route.name!));
      return { code: 200, body: table ? tableJson(route.resource, rv, [obj]) : obj };
    }
    const items = store.list(route.resource).filter(matches);
    return {
      code: 200,
      body: table ? tableJson(route.resource, rv, items) : listJson(route.resource, rv, items),
    };
  }

  private upgrade(
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
    url: URL,
    route: ResourceRoute | undefined,
  ): void {
    const { store, namespace, faults } = this.deps;
    const injected = injectedFailure(faults, route);
    if (injected) {
      rejectUpgrade(socket, injected);
      return;
    }
    if (route?.verb !== 'exec') {
      rejectUpgrade(socket, NOT_FOUND);
      return;
    }
    const pod = route.namespace === namespace ? store.get('pods', route.name!) : undefined;
    const parsed = parseExecRequest(url.searchParams, route.name!, pod);
    if ('code' in parsed) {
      rejectUpgrade(socket, parsed);
      return;
    }
    this.deps.wss.handleUpgrade(req, socket, head, (ws) => {
      this.pendingUpgrades.delete(socket);
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/',
        HOSTNAME: parsed.pod,
        ...this.deps.execEnv,
      };
      this.deps.exec.run(ws, { ...parsed, cwd: this.deps.podDir(parsed.pod), env });
    });
  }
}
