// The webhook anchor: a plain undici POST loop, `concurrency` requests in flight, to the receiver.
import { Agent, request } from 'undici';
import { serveRequests } from '../lib/child.js';

serveRequests({
  run: async (o: {
    url: string;
    count: number;
    concurrency: number;
    body: string;
    headers: Record<string, string>;
  }) => {
    const agent = new Agent();
    let next = 0;
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (next++ < o.count) {
          const res = await request(o.url, {
            dispatcher: agent,
            method: 'POST',
            headers: o.headers,
            body: o.body,
          });
          await res.body.dump();
          if (res.statusCode >= 300) throw new Error(`the receiver answered ${res.statusCode}`);
        }
      }),
    );
    await agent.close();
    return null;
  },
});
