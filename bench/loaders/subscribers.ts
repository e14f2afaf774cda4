// N WebSocket subscribers in a process of their own. `open` connects them (graphql-ws with a
// `commandOutput` subscription, or plain sockets for the raw anchor); `wait` resolves when every
// one has seen its stream complete. Messages are counted, not parsed, so the loader costs the same
// whatever server it listens to.
import WebSocket from 'ws';
import { serveRequests } from '../lib/child.js';

export interface OpenOptions {
  urls: string[];
  /** Connections to open. */
  count: number;
  /** graphql-ws: subscriptions each connection starts (default 1). */
  subscriptionsPerConnection?: number;
  protocol: 'graphql-ws' | 'raw';
  key?: string;
  query?: string;
  variables?: Record<string, unknown>;
}

export interface FanoutResult {
  subscribers: number;
  /** Messages carrying an event, over all subscribers. */
  deliveries: number;
  bytes: number;
  minPerSubscriber: number;
  maxPerSubscriber: number;
  /** From the first event any subscriber received to the last stream completing. */
  seconds: number;
}

interface Subscriber {
  ws: WebSocket;
  events: number;
  bytes: number;
  /** Subscriptions on this connection still to complete. */
  open: number;
  done: boolean;
}

let subscribers: Subscriber[] = [];
let firstAt = 0;
let lastAt = 0;
let remaining = 0;
let allDone: (() => void) | null = null;
let failure: Error | null = null;

function open(o: OpenOptions): Promise<{ opened: number }> {
  subscribers = [];
  firstAt = 0;
  lastAt = 0;
  remaining = o.count;
  failure = null;
  const ready: Promise<void>[] = [];
  for (let i = 0; i < o.count; i++) {
    const url = o.urls[i % o.urls.length]!;
    const ws = new WebSocket(url, o.protocol === 'graphql-ws' ? 'graphql-transport-ws' : undefined);
    const perConnection = o.subscriptionsPerConnection ?? 1;
    const sub: Subscriber = { ws, events: 0, bytes: 0, open: perConnection, done: false };
    subscribers.push(sub);
    ready.push(
      new Promise<void>((resolve, reject) => {
        ws.once('error', reject);
        ws.on('open', () => {
          if (o.protocol === 'raw') resolve();
          else
            ws.send(
              JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${o.key}` } }),
            );
        });
        ws.on('message', (raw: Buffer) => {
          const head = raw.subarray(0, 40).toString('latin1');
          if (head.includes('"type":"next"')) {
            if (firstAt === 0) firstAt = performance.now();
            sub.events++;
            sub.bytes += raw.length;
            // An event the server could not deliver comes as a `next` with errors: say which.
            if (raw.includes('"errors":[')) {
              failure ??= new Error(`a subscriber got an error: ${raw.toString().slice(0, 300)}`);
            }
          } else if (head.includes('"type":"complete"')) {
            if (--sub.open <= 0) finish(sub);
          } else if (head.includes('"type":"connection_ack"')) {
            for (let j = 1; j <= perConnection; j++) {
              ws.send(
                JSON.stringify({
                  id: String(j),
                  type: 'subscribe',
                  payload: { query: o.query, variables: o.variables },
                }),
              );
            }
            resolve();
          } else if (head.includes('"type":"error"')) {
            failure = new Error(`subscription failed: ${raw.toString().slice(0, 300)}`);
            finish(sub);
          }
        });
        ws.on('close', (code) => {
          if (!sub.done) {
            failure ??= new Error(`a subscriber was closed (${code}) before its stream completed`);
            finish(sub);
          }
        });
      }),
    );
  }
  return Promise.all(ready).then(() => ({ opened: subscribers.length }));
}

function finish(sub: Subscriber): void {
  if (sub.done) return;
  sub.done = true;
  lastAt = performance.now();
  if (--remaining === 0) allDone?.();
}

async function wait(o: { timeoutMs: number }): Promise<FanoutResult> {
  if (remaining > 0) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${remaining} of ${subscribers.length} subscribers did not complete in time`)),
        o.timeoutMs,
      );
      allDone = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  allDone = null;
  if (failure) throw failure;
  const counts = subscribers.map((s) => s.events);
  const result: FanoutResult = {
    subscribers: subscribers.length,
    deliveries: counts.reduce((a, b) => a + b, 0),
    bytes: subscribers.reduce((a, s) => a + s.bytes, 0),
    minPerSubscriber: Math.min(...counts),
    maxPerSubscriber: Math.max(...counts),
    seconds: (lastAt - firstAt) / 1000,
  };
  await close();
  return result;
}

async function close(): Promise<null> {
  await Promise.all(
    subscribers.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.ws.readyState === WebSocket.CLOSED) return resolve();
          s.ws.once('close', () => resolve());
          s.ws.close();
          setTimeout(() => {
            s.ws.terminate();
            resolve();
          }, 2_000).unref();
        }),
    ),
  );
  subscribers = [];
  return null;
}

serveRequests({ open, wait, close });
