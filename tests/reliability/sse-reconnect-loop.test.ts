import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandTestApp, plainId, startCommandApp } from '../support/command-test-app.js';
import { testRandom } from '../support/random.js';

interface SseFrame {
  id?: string;
  event: string;
  data: string;
}

/**
 * Reads `text/event-stream` frames from a response until `stop` says so or the stream ends, then
 * aborts: a client that goes away mid-stream, as browsers and flaky networks do.
 */
async function readFrames(
  response: Response,
  controller: AbortController,
  stop: (frame: SseFrame, count: number) => boolean,
): Promise<SseFrame[]> {
  const frames: SseFrame[] = [];
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        const frame: SseFrame = { event: 'message', data: '' };
        let comment = true;
        for (const line of block.split('\n')) {
          if (line.startsWith(':') || line === '') continue;
          const colon = line.indexOf(':');
          const field = line.slice(0, colon);
          const value = line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') frame.id = value;
          else if (field === 'event') frame.event = value;
          else if (field === 'data') frame.data += value;
          else continue;
          comment = false;
        }
        if (comment || (frame.data === '' && frame.id === undefined)) continue;
        frames.push(frame);
        if (stop(frame, frames.length)) return frames;
      }
    }
  } catch {
    // aborted
  } finally {
    controller.abort();
  }
  return frames;
}

// How many frames each client reads before dropping is drawn at random; the seed is printed so a
// failure can be replayed.
const draws = testRandom('SSE reconnect budgets');
const rand = (n: number) => draws.int(0, n - 1);

describe('SSE clients reconnecting in a loop', () => {
  let t: CommandTestApp;
  beforeAll(async () => {
    t = await startCommandApp('local', {
      RDEV_STREAM_KEEPALIVE_MS: '1000',
      RDEV_RATE_LIMIT_PER_KEY: '1000000',
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const gauge = async (transport: string) => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    return Number(
      new RegExp(`rdev_active_subscriptions\\{transport="${transport}"\\} (\\d+)`).exec(text)?.[1] ?? 0,
    );
  };
  const openFds = () => readdirSync('/proc/self/fd').length;
  const LINES = 300;
  const expected = Array.from({ length: LINES }, (_, i) => `line ${i + 1}\n`).join('');
  const script = `i=1; while [ $i -le ${LINES} ]; do echo "line $i"; i=$((i+1)); sleep 0.01; done`;

  it('serves the legacy stream to clients that drop and resume with Last-Event-ID over and over, leaking nothing', async () => {
    const fdsBefore = openFds();
    const command = await t.runShell({ script });
    const id = plainId(command.id);
    let connections = 0;
    // Each client reads a few events, hangs up, and comes back with the last id it saw.
    const client = async () => {
      let lastId: string | null = null;
      let text = '';
      for (;;) {
        const controller = new AbortController();
        const headers: Record<string, string> = { ...t.auth() };
        if (lastId) headers['last-event-id'] = lastId;
        const res = await fetch(`${t.url}/api/v1/commands/${id}/stream`, {
          headers,
          signal: controller.signal,
        });
        connections++;
        if (res.status === 204) return text;
        expect(res.status).toBe(200);
        const budget = 1 + rand(8);
        const frames = await readFrames(res, controller, (f, n) => f.event === 'end' || n >= budget);
        for (const f of frames) {
          const data = JSON.parse(f.data);
          expect(Number(f.id)).toBe(lastId === null ? 1 : Number(lastId) + 1);
          lastId = f.id!;
          if (f.event === 'output' && data.stream === 'STDOUT') text += data.data;
          if (f.event === 'end') return text;
        }
      }
    };
    const texts = await Promise.all(Array.from({ length: 12 }, client));
    for (const text of texts) expect(text).toBe(expected);
    expect(connections).toBeGreaterThan(12 * 10);
    // Every stream the server opened was closed: no listener, timer or socket left behind.
    const deadline = Date.now() + 10_000;
    while ((await gauge('(?:legacy-)?sse')) > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(await gauge('(?:legacy-)?sse')).toBe(0);
    while (openFds() > fdsBefore + 15 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(openFds()).toBeLessThanOrEqual(fdsBefore + 15);
  });

  it('serves GraphQL over SSE to clients that drop and resubscribe with `after` over and over', async () => {
    const command = await t.runShell({ script });
    let connections = 0;
    const query =
      'subscription($id: ID!, $after: Int) { commandOutput(commandId: $id, after: $after) { seq stream data end { status } } }';
    const client = async () => {
      let after = 0;
      let text = '';
      for (;;) {
        const controller = new AbortController();
        const res = await fetch(`${t.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...t.auth() },
          body: JSON.stringify({ query, variables: { id: command.id, after } }),
          signal: controller.signal,
        });
        connections++;
        expect(res.status).toBe(200);
        const budget = 1 + rand(8);
        let ended = false;
        const frames = await readFrames(res, controller, (f, n) => {
          if (f.event === 'complete') return true;
          const event = JSON.parse(f.data).data?.commandOutput;
          if (event?.end) ended = true;
          return ended || n >= budget;
        });
        for (const f of frames) {
          if (f.event !== 'next') continue;
          const payload = JSON.parse(f.data);
          expect(payload.errors).toBeUndefined();
          const event = payload.data.commandOutput;
          expect(event.seq).toBe(after + 1);
          after = event.seq;
          if (event.stream === 'STDOUT') text += event.data;
        }
        if (ended) return text;
      }
    };
    const texts = await Promise.all(Array.from({ length: 8 }, client));
    for (const text of texts) expect(text).toBe(expected);
    expect(connections).toBeGreaterThan(8 * 10);
    const deadline = Date.now() + 10_000;
    while ((await gauge('graphql-sse')) > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(await gauge('graphql-sse')).toBe(0);
    expect(t.logs.join('')).not.toMatch(/unhandled|unexpected error/i);
  });
});
