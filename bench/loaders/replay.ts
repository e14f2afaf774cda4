// Reads a whole stored output from the start, three ways, in a process of its own: a graphql-ws
// `commandOutput` subscription, the legacy SSE stream, and (the anchor) a raw pg keyset scan.

import pg from 'pg';
import { request } from 'undici';
import WebSocket from 'ws';
import { serveRequests } from '../lib/child.js';

export interface ReplayResult {
  events: number;
  bytes: number;
  seconds: number;
}

export const OUTPUT_SUBSCRIPTION =
  'subscription($id: ID!, $after: Int) { commandOutput(commandId: $id, after: $after) { seq stream data at end { status } } }';

/** Subscribes over graphql-ws and counts `next` messages until `complete`. */
function graphqlWs(o: { url: string; key: string; commandId: string }): Promise<ReplayResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(o.url, 'graphql-transport-ws');
    let events = 0;
    let bytes = 0;
    let started = 0;
    ws.on('open', () =>
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${o.key}` } })),
    );
    ws.on('message', (raw: Buffer) => {
      const head = raw.subarray(0, 40).toString();
      if (head.includes('"type":"next"')) {
        events++;
        bytes += raw.length;
      } else if (head.includes('"type":"connection_ack"')) {
        started = performance.now();
        ws.send(
          JSON.stringify({
            id: '1',
            type: 'subscribe',
            payload: { query: OUTPUT_SUBSCRIPTION, variables: { id: o.commandId, after: 0 } },
          }),
        );
      } else if (head.includes('"type":"complete"')) {
        const seconds = (performance.now() - started) / 1000;
        ws.close();
        resolve({ events, bytes, seconds });
      } else if (head.includes('"type":"error"')) {
        reject(new Error(`subscription failed: ${raw.toString().slice(0, 500)}`));
      }
    });
    ws.on('close', (code) => {
      if (!started) reject(new Error(`closed with ${code} before the subscription started`));
    });
    ws.on('error', reject);
  });
}

/** GET the legacy stream and count `id:` lines until the server ends it after the end event. */
async function sse(o: { url: string; key: string }): Promise<ReplayResult> {
  const started = performance.now();
  const res = await request(o.url, {
    headers: { authorization: `Bearer ${o.key}`, accept: 'text/event-stream' },
  });
  if (res.statusCode !== 200) throw new Error(`SSE answered ${res.statusCode}: ${await res.body.text()}`);
  let events = 0;
  let bytes = 0;
  let tail = '';
  let ended = false;
  for await (const chunk of res.body) {
    const text = tail + (chunk as Buffer).toString('utf8');
    bytes += (chunk as Buffer).length;
    let from = 0;
    for (;;) {
      const at = text.indexOf('\nid: ', from);
      if (at < 0) break;
      events++;
      from = at + 5;
    }
    if (text.includes('event: end')) ended = true;
    // Keep the last few bytes: a marker may straddle two chunks.
    tail = text.slice(Math.max(from, text.length - 8));
  }
  if (!ended) throw new Error('the SSE stream ended without its end event');
  return { events, bytes, seconds: (performance.now() - started) / 1000 };
}

/** The anchor: the same rows straight from PostgreSQL, a keyset page at a time. */
async function pgScan(o: { url: string; commandId: string; pageSize: number }): Promise<ReplayResult> {
  const client = new pg.Client({ connectionString: o.url });
  await client.connect();
  try {
    const started = performance.now();
    let events = 0;
    let bytes = 0;
    let after = 0;
    for (;;) {
      const { rows } = await client.query(
        `SELECT seq, stream, data, at, "end" FROM command_output
         WHERE command_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [o.commandId, after, o.pageSize],
      );
      if (rows.length === 0) break;
      events += rows.length;
      for (const r of rows) bytes += r.data.length;
      after = rows[rows.length - 1].seq;
    }
    return { events, bytes, seconds: (performance.now() - started) / 1000 };
  } finally {
    await client.end();
  }
}

serveRequests({ graphqlWs, sse, pgScan });
