import { afterEach, describe, expect, it } from 'vitest';
import type { RdevProcess } from '../support/rdev-process.js';
import { type ReplicaCluster, startReplicaCluster } from '../support/replicas.js';
import { POSTGRES_URL } from '../support/test-databases.js';
import { eventually } from '../support/wait.js';

const RUN = `mutation($input: RunShellInput!) { runShell(input: $input) {
  __typename ... on RunCommandPayload { command { id } } ... on Error { code message } } }`;
const SEND = `mutation($input: SendCommandInputInput!) { sendCommandInput(input: $input) {
  __typename ... on SendCommandInputPayload { command { stdinOpen } } ... on Error { code message } } }`;
const OUTPUT = `query($id: ID!) { command(id: $id) { status output(first: 100) { stream data } } }`;

describe.runIf(POSTGRES_URL)('input across a killed API process', () => {
  let cluster: ReplicaCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('delivers input accepted before and after a SIGKILL exactly once, in order', async () => {
    cluster = await startReplicaCluster({
      count: 1,
      projects: { alpha: {} },
      env: { RDEV_LEASE_TTL_MS: '2000', RDEV_DISPATCH_INTERVAL_MS: '200' },
    });
    const c = cluster;
    const call = async (replica: RdevProcess, query: string, input: Record<string, unknown>) => {
      const { body } = await c.graphql(replica, query, { input });
      const result = Object.values(body.data ?? {})[0] as any;
      if (!result || 'code' in result) throw new Error(JSON.stringify(body));
      return result;
    };
    const first = c.replicas[0]!;
    const { command } = await call(first, RUN, { projectName: 'alpha', argv: ['cat'], openStdin: true });
    const piece = (i: number) => `piece ${String(i).padStart(3, '0')} ${'·'.repeat(i)}\n`;
    const send = (replica: RdevProcess, i: number) =>
      call(replica, SEND, { commandId: command.id, data: piece(i) });

    for (let i = 0; i < 10; i++) await send(first, i);
    // Accepted, then the process dies before it can be sure to have delivered it.
    await send(first, 10);
    first.child.kill('SIGKILL');
    await first.exited;

    // A new process accepts more while the dead one's lease still runs: nobody delivers it yet.
    const second = await c.start();
    for (let i = 11; i < 20; i++) await send(second, i);
    await call(second, SEND, { commandId: command.id, eof: true });

    const expected = Array.from({ length: 20 }, (_, i) => piece(i)).join('');
    const ended = await eventually(
      async () => {
        const { body } = await c.graphql(second, OUTPUT, { id: command.id });
        return body.data.command.status === 'RUNNING' ? null : body.data.command;
      },
      'the command to end after its lease was taken over',
      60_000,
    );
    expect(ended.status).toBe('SUCCEEDED');
    const stdout = ended.output
      .filter((e: { stream: string }) => e.stream === 'STDOUT')
      .map((e: { data: string }) => e.data)
      .join('');
    expect(stdout).toBe(expected);
    const { rows } = await c.sql.query(
      'SELECT input_seq, input_delivered_seq, (SELECT count(*)::int FROM command_input) AS left FROM commands',
    );
    expect(rows).toEqual([{ input_seq: 21, input_delivered_seq: 21, left: 0 }]);
  });
});
