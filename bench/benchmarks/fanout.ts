import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchChild } from '../lib/child.js';
import { runShell } from '../lib/commands.js';
import type { RdevServer, RdevSite } from '../lib/rdev-site.js';
import type { FanoutResult, OpenOptions } from '../loaders/subscribers.js';

export const FANOUT_PROJECT = 'bench';
export const FANOUT_SUBSCRIPTION =
  'subscription($id: ID!) { commandOutput(commandId: $id, after: 0) { seq stream data end { status } } }';

export const deliveriesPerSecond = (r: FanoutResult) => r.deliveries / r.seconds;

let tags = 0;

/**
 * One rdev fan-out round: a command that waits for a go file, `n` graphql-ws subscribers spread
 * over `servers`, then the go file; the command prints `bytes` of lines as fast as `seq` can.
 * Returns the delivery counts and the stored events as the anchor should send them.
 */
export async function rdevFanoutRound(
  site: RdevSite,
  servers: RdevServer[],
  loader: BenchChild,
  n: number,
  bytes: number,
): Promise<{ result: FanoutResult; messages: string[] }> {
  const tag = `${process.pid}-${++tags}`;
  const lines = Math.ceil(bytes / 80);
  const script = `while [ ! -e .go-${tag} ]; do sleep 0.02; done; seq -f 'line %g of the fan-out benchmark output, padded to about eighty bytes ......' 1 ${lines}`;
  const { globalId, id } = await runShell(servers[0]!, { projectName: FANOUT_PROJECT, script });
  const open: OpenOptions = {
    urls: servers.map((s) => s.wsUrl),
    count: n,
    protocol: 'graphql-ws',
    key: site.adminKey,
    query: FANOUT_SUBSCRIPTION,
    variables: { id: globalId },
  };
  await loader.request('open', open);
  // Let the server finish setting the subscriptions up (each replays the empty store first).
  await new Promise((r) => setTimeout(r, 300 + n));
  writeFileSync(join(site.workspaces, FANOUT_PROJECT, `.go-${tag}`), '');
  const result = await loader.request<FanoutResult>('wait', { timeoutMs: 180_000 });
  const { rows } = await site.sql!.query(
    `SELECT seq, stream, data, "end" FROM command_output WHERE command_id = $1 ORDER BY seq`,
    [id],
  );
  if (result.minPerSubscriber !== rows.length || result.maxPerSubscriber !== rows.length) {
    throw new Error(
      `subscribers received ${result.minPerSubscriber}..${result.maxPerSubscriber} events of ${rows.length} stored`,
    );
  }
  const messages = rows.map((r) =>
    JSON.stringify({
      id: '1',
      type: 'next',
      payload: {
        data: {
          commandOutput: {
            seq: r.seq,
            stream: r.stream,
            data: r.data,
            end: r.end ? { status: r.end.status } : null,
          },
        },
      },
    }),
  );
  return { result, messages };
}

/** The anchor round: `n` plain sockets, and the same messages sent to each. */
export async function rawFanoutRound(
  anchor: BenchChild,
  anchorUrl: string,
  loader: BenchChild,
  n: number,
  messages: string[],
): Promise<FanoutResult> {
  await loader.request('open', { urls: [anchorUrl], count: n, protocol: 'raw' } satisfies OpenOptions);
  await anchor.request('broadcast', { messages, final: JSON.stringify({ id: '1', type: 'complete' }) });
  const result = await loader.request<FanoutResult>('wait', { timeoutMs: 180_000 });
  if (result.minPerSubscriber !== messages.length) {
    throw new Error(`raw subscribers received ${result.minPerSubscriber} of ${messages.length} messages`);
  }
  return result;
}
