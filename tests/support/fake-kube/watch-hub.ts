import type { ServerResponse } from 'node:http';
import type { ObjectStore, Resource, StoreEvent } from './object-store.js';
import { failure, type KubeObject } from './objects.js';

/** Which objects one watch follows. */
export interface WatchTarget {
  resource: Resource;
  kind: KubeObject['kind'];
  matches: (obj: KubeObject) => boolean;
}

export interface WatchOptions {
  /** `resourceVersion`; empty or `0` starts with synthetic ADDED events for what exists now. */
  resourceVersion: string;
  allowBookmarks: boolean;
  timeoutSeconds?: number;
}

interface OpenWatch {
  res: ServerResponse;
  end: () => void;
  bookmark: () => void;
}

/**
 * Serves `?watch=true` as kube-apiserver does: a chunked 200 response with one JSON event per
 * line, filtered per watcher. An object that starts or stops matching the selectors arrives as
 * ADDED or DELETED, like the real watch cache reports it.
 */
export class WatchHub {
  private readonly open = new Set<OpenWatch>();

  constructor(private readonly store: ObjectStore) {}

  get size(): number {
    return this.open.size;
  }

  serve(res: ServerResponse, target: WatchTarget, options: WatchOptions): void {
    const write = (line: unknown) => {
      if (!res.destroyed && !res.writableEnded) res.write(`${JSON.stringify(line)}\n`);
    };
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();

    const deliver = (event: StoreEvent) => {
      if (event.resource !== target.resource) return;
      const now = target.matches(event.object);
      const before =
        event.previous !== undefined && event.type !== 'DELETED' && target.matches(event.previous);
      if (event.type === 'DELETED') {
        if (target.matches(event.previous ?? event.object)) write({ type: 'DELETED', object: event.object });
      } else if (now && before) write({ type: 'MODIFIED', object: event.object });
      else if (now) write({ type: 'ADDED', object: event.object });
      else if (before) write({ type: 'DELETED', object: event.object });
    };

    const rv = options.resourceVersion;
    if (rv === '' || rv === '0') {
      for (const obj of this.store.list(target.resource)) {
        if (target.matches(obj)) write({ type: 'ADDED', object: obj });
      }
    } else {
      const replay = this.store.since(Number(rv));
      if (replay === 'expired') {
        const message = `too old resource version: ${rv} (${this.store.resourceVersion})`;
        write({ type: 'ERROR', object: failure(410, 'Expired', message) });
        res.end();
        return;
      }
      for (const event of replay) deliver(event);
    }

    const bookmark = () => {
      if (!options.allowBookmarks) return;
      const metadata = { resourceVersion: this.store.resourceVersion };
      write({ type: 'BOOKMARK', object: { kind: target.kind, apiVersion: 'v1', metadata } });
    };
    const unsubscribe = this.store.subscribe(deliver);
    const timer =
      options.timeoutSeconds !== undefined
        ? setTimeout(() => {
            // The real server sends a last bookmark just before it times a watch out.
            bookmark();
            res.end();
          }, options.timeoutSeconds * 1000)
        : undefined;
    const watch: OpenWatch = { res, end: () => res.end(), bookmark };
    this.open.add(watch);
    res.on('close', () => {
      unsubscribe();
      clearTimeout(timer);
      this.open.delete(watch);
    });
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watch that allowed them. */
  bookmarkAll(): void {
    for (const w of this.open) w.bookmark();
  }

  /** Ends every watch cleanly, as a server-side timeout does. */
  endAll(): void {
    for (const w of this.open) w.end();
  }

  /** Cuts every watch mid-stream, as a dying apiserver or proxy does. */
  dropAll(): void {
    for (const w of this.open) w.res.destroy();
  }
}
