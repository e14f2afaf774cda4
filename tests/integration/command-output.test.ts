import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMMAND_RUNTIMES,
  type CommandTestApp,
  collectOutput,
  joinStdout,
  type OutputEvent,
  plainId,
  runFolderStdout,
  startCommandApp,
} from '../support/command-test-app.js';
import { testRandom } from '../support/random.js';
import { openCommandStream } from '../support/sse-client.js';

// 10,000 numbered lines with multi-byte characters, paced so that subscribers meet it live.
const LINES = 10_000;
const SCRIPT = `i=1; while [ $i -le ${LINES} ]; do echo "line $i é€😀"; if [ $((i % 1000)) -eq 0 ]; then sleep 0.1; fi; i=$((i+1)); done`;
const EXPECTED = Array.from({ length: LINES }, (_, i) => `line ${i + 1} é€😀\n`).join('');

// Where streams are cut is drawn at random; the seed is printed so a failure can be replayed.
const { int: randomInt } = testRandom('command output cut points');

function expectOneEndLast(events: OutputEvent[], status = 'SUCCEEDED') {
  expect(events.filter((e) => e.end)).toHaveLength(1);
  expect(events.at(-1)!.end).toMatchObject({ status });
}

describe.each(COMMAND_RUNTIMES)('command output on the %s runtime', (runtime) => {
  let t: CommandTestApp;

  const waitForOpen = async (n: number) => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const metrics = await (await fetch(`${t.url}/metrics`)).text();
      const open = Number(
        /rdev_active_subscriptions\{transport="graphql-ws"\} (\d+)/.exec(metrics)?.[1] ?? 0,
      );
      if (open === n) return;
      if (Date.now() > deadline) throw new Error(`${open} graphql-ws subscriptions open, expected ${n}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  beforeAll(async () => {
    // Keep-alive often enough for the SSE test to see one, and with room for a busy test process:
    // the server drops a graphql-ws client that misses a ping's answer for two intervals.
    t = await startCommandApp(runtime, { RDEV_STREAM_KEEPALIVE_MS: '1000' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('resumes a graphql-ws subscriber cut off at a random point, byte for byte, and serves a late one', async () => {
    const command = await t.runShell({ script: SCRIPT });
    const cutAfter = randomInt(1, 12);
    const first = await collectOutput(t.wsClient(), command.id, 0, cutAfter);
    expect(first.length).toBeGreaterThan(0);
    // A new connection, as after a network drop, resuming after the last seq seen.
    const rest = await collectOutput(t.wsClient(), command.id, first.at(-1)!.seq);
    const all = [...first, ...rest];
    expect(joinStdout(all)).toBe(EXPECTED);
    expectOneEndLast(all);
    expect(runFolderStdout(t.workspace, command.id)).toBe(EXPECTED);

    const late = await collectOutput(t.wsClient(), command.id, 0);
    expect(late).toEqual(all);
    // Past the end there is nothing more: the subscription completes at once.
    expect(await collectOutput(t.wsClient(), command.id, all.at(-1)!.seq)).toEqual([]);

    const { command: stored } = await t.gql(
      `query($id: ID!) { command(id: $id) { status exitCode lastSeq output(after: 0, first: 100) { seq data } } }`,
      { id: command.id },
    );
    expect(stored).toMatchObject({ status: 'SUCCEEDED', exitCode: 0, lastSeq: all.at(-1)!.seq });
    expect(stored.output.map((e: { seq: number }) => e.seq)).toEqual(all.map((e) => e.seq));
  });

  it('resumes an SSE client from Last-Event-ID after its connection is cut, and a late client gets all', async () => {
    const command = await t.runShell({ script: SCRIPT });
    const id = plainId(command.id);
    const session = openCommandStream(t.url, id, t.adminKey, { cutAfterBytes: randomInt(500, 60_000) });
    await session.ended;
    expect(session.statuses).toEqual([200, 200]);
    expect(session.requests[0]).toBeNull();
    const seen = session.events.map((e) => e.data.seq);
    // The reconnect asked for what followed the last complete event before the cut.
    const beforeCut = session.receivedBeforeRequest[1]!;
    expect(session.requests[1]).toBe(beforeCut > 0 ? session.events[beforeCut - 1]!.id : null);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
    expect(session.events.every((e) => e.id === String(e.data.seq))).toBe(true);
    const stdout = session.events
      .filter((e) => e.type === 'output' && e.data.stream === 'STDOUT')
      .map((e) => e.data.data)
      .join('');
    expect(stdout).toBe(EXPECTED);
    const end = session.events.at(-1)!;
    expect(end).toMatchObject({ type: 'end', data: { status: 'SUCCEEDED', exitCode: 0, signal: null } });
    expect(session.events.filter((e) => e.type === 'end')).toHaveLength(1);

    // A late client that does not close on the end event: the server answers its reconnect with
    // 204, which stops an EventSource for good instead of replaying forever.
    const late = openCommandStream(t.url, id, t.adminKey, { closeOnEnd: false });
    await late.ended;
    expect(late.events.map((e) => e.data.seq)).toEqual(seen);
    const deadline = Date.now() + 10_000;
    while (late.source.readyState !== late.source.CLOSED && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(late.source.readyState).toBe(late.source.CLOSED);
    expect(late.statuses).toEqual([200, 204]);
    expect(late.requests[1]).toBe(String(end.data.seq));
  });

  it('sends SSE keep-alive comments and headers that keep proxies from buffering', async () => {
    const command = await t.runShell({ script: 'echo start; sleep 2; echo done' });
    const controller = new AbortController();
    const res = await fetch(`${t.url}/api/v1/commands/${plainId(command.id)}/stream?after=0`, {
      headers: t.auth(),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('cache-control')).toContain('no-cache');
    let text = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      if (text.includes('event: end')) break;
    }
    controller.abort();
    expect(text).toMatch(/^retry: \d+\n\n/);
    expect(text).toContain(': keep-alive\n\n');
    expect(text).toMatch(
      /id: 1\nevent: output\ndata: \{"seq":1,"stream":"STDOUT","data":"start\\n","dataBase64":"c3RhcnQK","at":"[^"]+"\}\n\n/,
    );
    expect(text).toMatch(/event: end\ndata: \{[^\n]*"status":"SUCCEEDED"[^\n]*\}\n\n$/);
  });

  it('reports status changes on commandUpdated, ending after the final one, and frees a subscription the client leaves', async () => {
    const client = t.wsClient();
    const statuses: string[] = [];
    let forProject: () => void = () => {};
    const projectStatuses = new Promise<void>((resolve, reject) => {
      forProject = client.subscribe<{ commandUpdated: { id: string; status: string } }>(
        { query: 'subscription { commandUpdated(projectName: "demo") { id status } }' },
        { next: () => resolve(), error: reject, complete: () => {} },
      );
    });
    await waitForOpen(1);
    const command = await t.runShell({ script: 'sleep 0.3; echo done' });
    const byId = new Promise<void>((resolve, reject) => {
      client.subscribe<{ commandUpdated: { status: string } }>(
        {
          query: 'subscription($id: ID!) { commandUpdated(commandId: $id) { status } }',
          variables: { id: command.id },
        },
        { next: (r) => statuses.push(r.data!.commandUpdated.status), error: reject, complete: resolve },
      );
    });
    await byId;
    await projectStatuses;
    // The current state first, then each change, ending with the final one.
    expect(['QUEUED', 'RUNNING']).toContain(statuses[0]);
    expect(statuses.at(-1)).toBe('SUCCEEDED');
    expect(statuses.filter((s) => s === 'SUCCEEDED')).toHaveLength(1);
    // Subscribing to an ended command gives its state and completes.
    const late: string[] = [];
    await new Promise<void>((resolve, reject) => {
      client.subscribe<{ commandUpdated: { status: string } }>(
        {
          query: 'subscription($id: ID!) { commandUpdated(commandId: $id) { status } }',
          variables: { id: command.id },
        },
        { next: (r) => late.push(r.data!.commandUpdated.status), error: reject, complete: resolve },
      );
    });
    expect(late).toEqual(['SUCCEEDED']);
    // The project-wide subscription waits for more; leaving it frees it at once.
    forProject();
    await waitForOpen(0);
  });
});
