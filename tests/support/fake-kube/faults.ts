/**
 * Switches a test flips to make the fake misbehave the way clusters and the proxies in front of
 * them do. Each request is judged when it arrives; a held (`hang`) request is judged when it is
 * released.
 */
export class FakeKubeFaults {
  /** `true` fails every request with 500 InternalError; a number fails that many next requests. */
  http500: boolean | number = false;
  /** Answer every request with 403 Forbidden, as a missing RBAC grant does. */
  status403 = false;
  /** Answer every pod request (get, list, watch, exec) with 404, as for a vanished pod. */
  status404ForPods = false;
  private hanging = false;
  private readonly held: (() => void)[] = [];

  constructor(
    private readonly actions: {
      dropWatches: () => void;
      dropExecSockets: () => void;
      endWatches: () => void;
    },
  ) {}

  /** While on, requests (and exec upgrades) get no answer; switching it off serves them. */
  get hang(): boolean {
    return this.hanging;
  }

  set hang(on: boolean) {
    this.hanging = on;
    if (!on) for (const release of this.held.splice(0)) release();
  }

  /** Destroys every open watch response mid-stream. */
  dropWatches(): void {
    this.actions.dropWatches();
  }

  /** Ends every open watch cleanly, as the server's own watch timeout does. */
  endWatches(): void {
    this.actions.endWatches();
  }

  /** Terminates every open exec WebSocket without a close frame; the processes keep running. */
  dropExecSockets(): void {
    this.actions.dropExecSockets();
  }

  /** @internal Runs `serve` now, or later if the server is hanging. */
  admit(serve: () => void): void {
    if (this.hanging) this.held.push(serve);
    else serve();
  }

  /** @internal The status code to fail this request with, if any fault applies. */
  injectedStatus(isPodRequest: boolean): 403 | 404 | 500 | undefined {
    if (this.status403) return 403;
    if (this.http500 === true) return 500;
    if (typeof this.http500 === 'number' && this.http500 > 0) {
      this.http500--;
      return 500;
    }
    if (isPodRequest && this.status404ForPods) return 404;
    return undefined;
  }

  /** @internal Forgets held requests (the server destroys their sockets on close). */
  clearHeld(): void {
    this.held.length = 0;
  }
}
