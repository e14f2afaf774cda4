// The webhook receiver both sides post to: answers 204 at once and notes when the first and the
// last expected request arrived. `expect` arms it for a count; `done` resolves with the rate.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveRequests } from '../lib/child.js';

let expected = 0;
let received = 0;
let firstAt = 0;
let lastAt = 0;
let onDone: (() => void) | null = null;

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.statusCode = 204;
    res.end();
    const now = performance.now();
    if (received === 0) firstAt = now;
    received++;
    lastAt = now;
    if (received === expected) onDone?.();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

serveRequests({
  port: () => (server.address() as AddressInfo).port,
  expect: (o: { count: number }) => {
    expected = o.count;
    received = 0;
    firstAt = 0;
    lastAt = 0;
    return null;
  },
  done: (o: { timeoutMs: number }) =>
    new Promise<{ received: number; seconds: number }>((resolve, reject) => {
      const finish = () => resolve({ received, seconds: (lastAt - firstAt) / 1000 });
      if (received >= expected) return finish();
      const timer = setTimeout(
        () => reject(new Error(`the receiver got ${received} of ${expected} requests in time`)),
        o.timeoutMs,
      );
      onDone = () => {
        clearTimeout(timer);
        onDone = null;
        finish();
      };
    }),
});
