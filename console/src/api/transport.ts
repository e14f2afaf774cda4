import { type Client, createClient } from 'graphql-ws';

/**
 * The console's only connection to rdev: GraphQL over HTTP for queries and mutations, one
 * graphql-ws connection for every subscription. Nothing else in the console calls `fetch` or opens
 * a WebSocket (the linter enforces it), so moving to `rdev/client` touches this folder only.
 */

/** A top-level GraphQL error, a refused key, or an unreachable server (`NETWORK`). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** `idle`: no live stream is open (none is needed). */
export type ConnectionState = 'idle' | 'connected' | 'connecting' | 'offline';

export interface LiveHandlers<T> {
  next(data: T): void;
  /** A refusal that retrying will not fix (bad key, no access, unknown id). The stream has stopped. */
  failed?(error: ApiError): void;
  /** The server completed the stream; return true to subscribe again (with fresh variables). */
  completed?(): boolean;
}

/** Close codes after which reconnecting with the same key cannot help. */
const FATAL_CLOSE = new Set([4400, 4401, 4403, 4406]);
const RETRY_CAP_MS = 10_000;
const PING_EVERY_MS = 10_000;
const PONG_WITHIN_MS = 5_000;

export class Transport {
  private readonly ws: Client;
  private readonly listeners = new Set<(state: ConnectionState) => void>();
  private readonly refusedListeners = new Set<(error: ApiError) => void>();
  private readonly wakers = new Set<() => void>();
  private state: ConnectionState = 'idle';
  private active = 0;
  private readonly cleanup: () => void;

  constructor(
    private readonly key: string,
    private readonly origin: string = location.origin,
  ) {
    let socket: WebSocket | null = null;
    let pongTimer: ReturnType<typeof setTimeout> | undefined;
    this.ws = createClient({
      url: `${origin.replace(/^http/, 'ws')}/graphql`,
      connectionParams: { authorization: `Bearer ${key}` },
      lazy: true,
      // Reconnecting is done per subscription (below), each resuming from where it was.
      retryAttempts: 0,
      // A laptop that slept or a proxy that dropped the connection silently: no pong, new socket.
      keepAlive: PING_EVERY_MS,
      on: {
        connecting: () => this.setState(navigator.onLine ? 'connecting' : 'offline'),
        connected: (s) => {
          socket = s as WebSocket;
          this.setState('connected');
        },
        closed: () => {
          socket = null;
          clearTimeout(pongTimer);
          this.setState(!navigator.onLine ? 'offline' : this.active > 0 ? 'connecting' : 'idle');
        },
        ping: (received) => {
          if (received) return;
          clearTimeout(pongTimer);
          pongTimer = setTimeout(() => socket?.close(4408, 'no pong'), PONG_WITHIN_MS);
        },
        pong: (received) => {
          if (received) clearTimeout(pongTimer);
        },
      },
    });
    // The browser knows first when the network goes: drop the socket at once rather than wait for
    // a keep-alive to fail, and reconnect the moment it is back.
    const offline = () => {
      this.setState('offline');
      this.ws.terminate();
    };
    const online = () => {
      this.setState(this.active > 0 ? 'connecting' : 'idle');
      for (const wake of [...this.wakers]) wake();
    };
    window.addEventListener('offline', offline);
    window.addEventListener('online', online);
    this.cleanup = () => {
      window.removeEventListener('offline', offline);
      window.removeEventListener('online', online);
    };
  }

  /** One GraphQL query or mutation over HTTP; throws `ApiError` for top-level errors. */
  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.origin}/graphql`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.key}`,
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
        },
        body: JSON.stringify({ query, variables }),
      });
    } catch {
      throw new ApiError('NETWORK', 'rdev cannot be reached. Check the connection and try again.');
    }
    let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    try {
      body = await response.json();
    } catch {
      throw new ApiError('BAD_RESPONSE', `rdev answered ${response.status} without a GraphQL body.`);
    }
    const first = body.errors?.[0];
    if (first) throw this.refusedIfSo(new ApiError(first.extensions?.code ?? 'ERROR', first.message));
    if (body.data === undefined) throw new ApiError('BAD_RESPONSE', 'rdev answered without data.');
    return body.data;
  }

  /**
   * A subscription that survives disconnects: after a dropped connection it subscribes again, with
   * exponential backoff and jitter, asking `variables()` afresh each time (so a stream can resume
   * from the last event it saw). Returns the function that stops it.
   */
  live<T>(query: string, variables: () => Record<string, unknown>, handlers: LiveHandlers<T>): () => void {
    let stopped = false;
    let unsubscribe: (() => void) | null = null;
    let attempt = 0;
    this.active += 1;

    const start = () => {
      if (stopped) return;
      let received = false;
      unsubscribe = this.ws.subscribe<T>(
        { query, variables: variables() },
        {
          next: (result) => {
            if (!received) {
              received = true;
              attempt = 0;
            }
            if (result.errors?.length) {
              const e = result.errors[0]!;
              stop();
              handlers.failed?.(new ApiError(String(e.extensions?.code ?? 'ERROR'), e.message));
              return;
            }
            if (result.data) handlers.next(result.data);
          },
          error: (error) => {
            unsubscribe = null;
            if (stopped) return;
            const fatal = fatalError(error);
            if (fatal) {
              stop();
              handlers.failed?.(this.refusedIfSo(fatal));
              return;
            }
            void this.backoff(attempt++).then(start);
          },
          complete: () => {
            unsubscribe = null;
            if (stopped) return;
            if (handlers.completed?.()) start();
            else stop();
          },
        },
      );
    };
    const stop = () => {
      if (!stopped) this.active -= 1;
      stopped = true;
      unsubscribe?.();
      unsubscribe = null;
    };
    start();
    return stop;
  }

  /** Called when rdev no longer accepts the key (revoked, expired): signing in again is the way on. */
  onRefused(listener: (error: ApiError) => void): () => void {
    this.refusedListeners.add(listener);
    return () => this.refusedListeners.delete(listener);
  }

  private refusedIfSo(error: ApiError): ApiError {
    if (error.code === 'UNAUTHENTICATED') for (const listener of this.refusedListeners) listener(error);
    return error;
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    this.cleanup();
    void this.ws.dispose();
  }

  private setState(state: ConnectionState) {
    if (state === this.state) return;
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }

  /** Waits before the next attempt, cut short when the browser reports the network back. */
  private backoff(attempt: number): Promise<void> {
    const ceiling = Math.min(RETRY_CAP_MS, 250 * 2 ** attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, delay);
      this.wakers.add(done);
    });
  }
}

/** The errors a subscription should not retry: GraphQL errors and fatal close codes. */
function fatalError(error: unknown): ApiError | null {
  if (Array.isArray(error)) {
    const e = error[0] as { message?: string; extensions?: { code?: string } } | undefined;
    return new ApiError(e?.extensions?.code ?? 'ERROR', e?.message ?? 'The subscription was refused.');
  }
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'number') {
    if (FATAL_CLOSE.has(error.code)) {
      const reason = 'reason' in error && typeof error.reason === 'string' ? error.reason : '';
      return new ApiError('UNAUTHENTICATED', reason || 'The API key was refused: sign in again.');
    }
  }
  return null;
}
