import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import {
  type CommandTestApp,
  collectOutput,
  joinStdout,
  plainId,
  startCommandApp,
} from '../support/command-test-app.js';
import { POSTGRES_URL } from '../support/test-databases.js';

const SEND = `mutation($input: SendCommandInputInput!) { sendCommandInput(input: $input) { __typename
  ... on SendCommandInputPayload { command { id status stdinOpen } }
  ... on Error { code message }
  ... on CommandNotAcceptingInputError { code } } }`;
const STATE = 'query($id: ID!) { command(id: $id) { id status stdinOpen exitCode } }';

const INPUT_LIMIT = 64 * 1024;

// Two app instances on one PostgreSQL database, as two replicas: the one that holds a command's
// lease delivers its input, whichever of them accepted it.
describe.runIf(POSTGRES_URL)('input for commands with open stdin, on the local runtime', () => {
  let t: CommandTestApp;
  let replica: App;
  let replicaUrl: string;

  beforeAll(async () => {
    t = await startCommandApp(
      'local',
      { RDEV_COMMAND_INPUT_MAX_BYTES: String(INPUT_LIMIT), RDEV_CANCEL_GRACE_SECONDS: '1' },
      { database: 'postgres', extraProjects: { other: 'max_concurrent_commands: 1' } },
    );
    replica = await createApp(
      loadConfig({
        PORT: '0',
        NODE_ENV: 'test',
        RDEV_WORKSPACES_DIR: dirname(t.workspace),
        RDEV_COMMAND_INPUT_MAX_BYTES: String(INPUT_LIMIT),
        RDEV_RATE_LIMIT_PER_KEY: '10000000',
      }),
      { database: t.database, logger: createLogger({ level: 'silent' }) },
    );
    replicaUrl = (await replica.start()).url;
  });
  afterAll(async () => {
    await replica?.stop();
    await t?.close();
  });

  /** sendCommandInput through the first app, or with `viaReplica` through the second. */
  async function send(input: Record<string, unknown>, options: { key?: string; viaReplica?: boolean } = {}) {
    if (!options.viaReplica) return (await t.gql(SEND, { input }, options.key)).sendCommandInput;
    const res = await fetch(`${replicaUrl}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${options.key ?? t.adminKey}`,
      },
      body: JSON.stringify({ query: SEND, variables: { input } }),
    });
    const body = (await res.json()) as any;
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data.sendCommandInput;
  }

  async function storedInput(globalId: string) {
    const id = plainId(globalId);
    const rows = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM command_input WHERE command_id = ${id}`.execute(t.database.db);
    const command = await sql<{ input_seq: number; input_bytes: string; input_eof: boolean }>`
      SELECT input_seq, input_bytes, input_eof FROM commands WHERE id = ${id}`.execute(t.database.db);
    return { rows: rows.rows[0]!.n, ...command.rows[0]! };
  }

  it('feeds 1 MB sent in 100 calls through two replicas to cat, byte for byte and in order, and ends it at eof', async () => {
    const command = await t.runShell({ argv: ['cat'], openStdin: true });
    expect((await t.gql(STATE, { id: command.id })).command.stdinOpen).toBe(true);

    // Text with multi-byte characters, cut into pieces at byte boundaries that split some of them:
    // those pieces can only travel as base64.
    const lines: Buffer[] = [];
    for (let i = 0, size = 0; size < 1_000_000; i++) {
      lines.push(Buffer.from(`${String(i).padStart(6, '0')} é漢字 ${randomBytes(24).toString('hex')}\n`));
      size += lines[i]!.length;
    }
    const all = Buffer.concat(lines).subarray(0, 1_000_000);
    const pieces = Array.from({ length: 100 }, (_, i) => all.subarray(i * 10_000, (i + 1) * 10_000));
    const output = collectOutput(t.wsClient(), command.id);
    for (const [i, piece] of pieces.entries()) {
      const text = piece.toString('utf8');
      const asText = i % 3 === 0 && Buffer.from(text).equals(piece);
      const result = await send(
        { commandId: command.id, ...(asText ? { data: text } : { dataBase64: piece.toString('base64') }) },
        { viaReplica: i % 2 === 1 },
      );
      expect(result).toMatchObject({ __typename: 'SendCommandInputPayload', command: { stdinOpen: true } });
    }
    const closed = await send({ commandId: command.id, eof: true }, { viaReplica: true });
    expect(closed.command.stdinOpen).toBe(false);

    const events = await output;
    expect(events.at(-1)!.end).toMatchObject({ status: 'SUCCEEDED', exitCode: 0 });
    expect(Buffer.from(joinStdout(events)).equals(all)).toBe(true);
    // Delivered input is not kept; the counters say what was accepted.
    expect(await storedInput(command.id)).toEqual({
      rows: 0,
      input_seq: 101,
      input_bytes: '1000000',
      input_eof: true,
    });
    const audit = await sql<{ outcome: string; actor_key_id: string | null; details: any }>`
      SELECT outcome, actor_key_id, details FROM audit_events
      WHERE action = 'command.input' AND target_id = ${plainId(command.id)}
      ORDER BY (details->>'seq')::int`.execute(t.database.db);
    expect(audit.rows.map((r) => r.details.seq)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    expect(audit.rows.map((r) => r.details.bytes)).toEqual([...Array(100).fill(10_000), 0]);
    expect(audit.rows.map((r) => r.details.eof)).toEqual([...Array(100).fill(false), true]);
    for (const row of audit.rows) {
      expect(row).toMatchObject({ outcome: 'SUCCESS', actor_key_id: expect.any(String) });
      // Sizes only, never the input itself.
      expect(Object.keys(row.details).sort()).toEqual(['bytes', 'eof', 'projectName', 'seq']);
    }

    // Once it ended, input is refused and nothing is stored.
    const late = await send({ commandId: command.id, data: 'late\n' });
    expect(late).toMatchObject({ __typename: 'CommandNotAcceptingInputError', code: 'NOT_ACCEPTING_INPUT' });
    expect(late.message).toContain('ended');
    expect((await storedInput(command.id)).input_seq).toBe(101);
  });

  it('refuses input to a closed stdin, to a hidden command and without the scope, storing nothing', async () => {
    const closed = await t.runShell({ argv: ['sleep', '30'] });
    const open = await t.runShell({ script: 'cat >/dev/null; sleep 30', openStdin: true });
    const elsewhere = await t.runShell({ projectName: 'other', argv: ['cat'], openStdin: true });
    const { key: demoOnly } = await t.createKey({
      scopes: ['COMMANDS_INPUT', 'COMMANDS_READ'],
      projectNames: ['demo'],
    });
    const { key: noInput } = await t.createKey({ scopes: ['COMMANDS_READ', 'COMMANDS_RUN_SHELL'] });

    expect(await send({ commandId: closed.id, data: 'x' })).toMatchObject({
      __typename: 'CommandNotAcceptingInputError',
      code: 'NOT_ACCEPTING_INPUT',
    });
    expect(await send({ commandId: elsewhere.id, data: 'x' }, { key: demoOnly })).toMatchObject({
      __typename: 'NotFoundError',
      code: 'NOT_FOUND',
    });
    expect(await send({ commandId: open.id, data: 'x' }, { key: noInput, viaReplica: true })).toMatchObject({
      __typename: 'ForbiddenError',
      code: 'FORBIDDEN',
    });
    const invalid = [
      { commandId: open.id, data: 'x', dataBase64: 'eA==' },
      { commandId: open.id },
      { commandId: open.id, dataBase64: 'not base64!' },
      { commandId: open.id, data: 'x'.repeat(INPUT_LIMIT + 1) },
    ];
    for (const input of invalid) {
      expect(await send(input, { key: demoOnly })).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    for (const c of [closed, open, elsewhere]) {
      expect(await storedInput(c.id)).toMatchObject({ rows: 0, input_seq: 0, input_bytes: '0' });
    }

    // The key granted the project may send; after its eof nothing more is taken.
    expect(
      await send({ commandId: open.id, data: 'x'.repeat(INPUT_LIMIT) }, { key: demoOnly }),
    ).toMatchObject({ __typename: 'SendCommandInputPayload' });
    expect(await send({ commandId: open.id, eof: true }, { key: demoOnly })).toMatchObject({
      command: { stdinOpen: false },
    });
    const after = await send({ commandId: open.id, data: 'more' }, { key: demoOnly, viaReplica: true });
    expect(after).toMatchObject({ code: 'NOT_ACCEPTING_INPUT' });
    expect(after.message).toContain('eof');
    expect(await storedInput(open.id)).toMatchObject({ input_seq: 2, input_eof: true });
    for (const c of [closed, open, elsewhere]) {
      await t.gql('mutation($id: ID!) { cancelCommand(input: { id: $id }) { __typename } }', { id: c.id });
    }
  });

  it('takes input while a command is queued and delivers it once the command starts', async () => {
    // The other project runs one command at a time: the second waits in the queue.
    const blocker = await t.runShell({ projectName: 'other', argv: ['sleep', '30'] });
    const queued = await t.runShell({ projectName: 'other', argv: ['cat'], openStdin: true });
    const state = await t.gql(STATE, { id: queued.id });
    expect(state.command).toMatchObject({ status: 'QUEUED', stdinOpen: true });
    await send({ commandId: queued.id, data: 'sent while queued\n' }, { viaReplica: true });
    await send({ commandId: queued.id, data: 'and more', eof: true });
    await t.gql('mutation($id: ID!) { cancelCommand(input: { id: $id }) { __typename } }', {
      id: blocker.id,
    });
    const events = await collectOutput(t.wsClient(), queued.id);
    expect(events.at(-1)!.end).toMatchObject({ status: 'SUCCEEDED' });
    expect(joinStdout(events)).toBe('sent while queued\nand more');
  });
});

describe('input for commands with open stdin, on the Kubernetes runtime', () => {
  let t: CommandTestApp;
  beforeAll(async () => {
    t = await startCommandApp('kubernetes');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('delivers input through pod exec in order, binary included, and ends the command at eof', async () => {
    const command = await t.runShell({ script: 'od -An -tx1 -v | tr -s " " | tr -d "\\n"', openStdin: true });
    const pieces = [Buffer.from('first\n'), Buffer.from([0, 1, 2, 255, 254, 10]), randomBytes(3000)];
    for (const piece of pieces) {
      const { sendCommandInput } = await t.gql(SEND, {
        input: { commandId: command.id, dataBase64: piece.toString('base64') },
      });
      expect(sendCommandInput.__typename).toBe('SendCommandInputPayload');
    }
    await t.gql(SEND, { input: { commandId: command.id, data: 'last', eof: true } });
    const events = await collectOutput(t.wsClient(), command.id);
    expect(events.at(-1)!.end).toMatchObject({ status: 'SUCCEEDED', exitCode: 0 });
    const hex = Buffer.concat([...pieces, Buffer.from('last')]).toString('hex');
    expect(joinStdout(events).replaceAll(' ', '')).toBe(hex);
  });
});
