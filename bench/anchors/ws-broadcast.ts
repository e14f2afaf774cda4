// The fan-out anchor: a plain `ws` server that sends the same prepared messages to every connected
// client, each serialised once, pausing while any client has more than rdev's own send-buffer
// limit waiting (as rdev must not buffer without bound either).
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { serveRequests } from '../lib/child.js';

const MAX_BUFFERED = 8 * 1024 * 1024;
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
await new Promise<void>((resolve) => wss.once('listening', () => resolve()));

const drained = () =>
  new Promise<void>((resolve) => {
    const check = () => {
      for (const c of wss.clients) if (c.bufferedAmount > MAX_BUFFERED / 2) return void setImmediate(check);
      resolve();
    };
    check();
  });

serveRequests({
  port: () => (wss.address() as AddressInfo).port,
  broadcast: async (o: { messages: string[]; final: string }) => {
    for (const message of o.messages) {
      for (const client of wss.clients) client.send(message);
      for (const client of wss.clients) {
        if (client.bufferedAmount > MAX_BUFFERED) {
          await drained();
          break;
        }
      }
    }
    for (const client of wss.clients) client.send(o.final);
    return null;
  },
});
