import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMMAND_RUNTIMES,
  type CommandTestApp,
  plainId,
  startCommandApp,
} from '../support/command-test-app.js';

const RUN_CLAUDE = `mutation($input: RunClaudeInput!) { runClaude(input: $input) { __typename
  ... on RunCommandPayload { command { id } } ... on Error { code message } } }`;
const SESSION = 'claudeSession { sessionId model costUsd numTurns durationMs usage resultSubtype isError }';
const CHUNK_BYTES = 16_384;

interface ClaudeEvent {
  seq: number;
  stream: string;
  data: string;
  claude: any;
}

interface ClaudeRun {
  id: string;
  status: string;
  exitCode: number | null;
  signal: string | null;
  error: string | null;
  argv: string[];
  claudeSession: any;
  output: ClaudeEvent[];
}

/** The fake claude (first on the workspace PATH) drives every scenario through its prompt marker. */
describe.each(COMMAND_RUNTIMES)('claude runs on the %s runtime', (runtime) => {
  let t: CommandTestApp;

  const run = async (input: Record<string, unknown>): Promise<ClaudeRun> => {
    const { runClaude } = await t.gql(RUN_CLAUDE, { input: { projectName: 'demo', ...input } });
    expect(runClaude.__typename).toBe('RunCommandPayload');
    const command = await t.waitForEnd(runClaude.command.id);
    const page = await t.gql(
      `query($id: ID!) { command(id: $id) { ${SESSION} output(first: 100) { seq stream data claude } } }`,
      { id: command.id },
    );
    return { ...command, ...page.command };
  };

  beforeAll(async () => {
    t = await startCommandApp(runtime, {
      RDEV_CLAUDE_WATCHDOG_SECONDS: '2',
      RDEV_CANCEL_GRACE_SECONDS: '1',
      RDEV_OUTPUT_CHUNK_BYTES: String(CHUNK_BYTES),
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('parses each stream-json line and records the session, cost and usage; a resume keeps the session', async () => {
    const first = await run({ prompt: 'Summarise the README', maxTurns: 3, model: 'sonnet' });
    expect(first).toMatchObject({ status: 'SUCCEEDED', exitCode: 0, error: null });
    expect(first.argv).toEqual([
      'claude',
      '-p',
      '--output-format=stream-json',
      '--verbose',
      '--max-turns=3',
      '--model=sonnet',
    ]);
    const types = first.output.filter((e) => e.claude).map((e) => e.claude.type);
    expect(types).toEqual(['system', 'assistant', 'assistant', 'user', 'assistant', 'result']);
    expect(first.output[0]!.claude).toMatchObject({ type: 'system', subtype: 'init', model: 'sonnet' });
    // Each event is one line, its `claude` the parse of exactly that line.
    for (const e of first.output.filter((x) => x.claude)) expect(JSON.parse(e.data)).toEqual(e.claude);
    const tool = first.output.find((e) => e.claude?.message?.content?.[0]?.type === 'tool_use');
    expect(tool!.claude.message.content[0]).toMatchObject({ name: 'Bash', input: { command: 'ls' } });
    expect(first.claudeSession).toEqual({
      sessionId: first.output[0]!.claude.session_id,
      model: 'sonnet',
      costUsd: 0.0123,
      numTurns: 2,
      durationMs: expect.any(Number),
      usage: expect.objectContaining({ input_tokens: 12, output_tokens: 87 }),
      resultSubtype: 'success',
      isError: false,
    });

    const second = await run({ prompt: 'And now the tests', resumeSessionId: first.claudeSession.sessionId });
    expect(second.status).toBe('SUCCEEDED');
    expect(second.argv).toContain(`--resume=${first.claudeSession.sessionId}`);
    expect(second.claudeSession.sessionId).toBe(first.claudeSession.sessionId);
  });

  it('fails a run whose result says is_error, or an API error status, though the CLI may exit 0', async () => {
    const [isError, apiError] = await Promise.all([
      run({ prompt: '[fake:is_error] hello' }),
      run({ prompt: '[fake:api_error] hello' }),
    ]);
    expect(isError).toMatchObject({ status: 'FAILED', exitCode: 1 });
    expect(isError.error).toContain('Invalid API key');
    expect(isError.claudeSession).toMatchObject({ isError: true, resultSubtype: 'success', costUsd: 0.0123 });
    expect(apiError).toMatchObject({ status: 'FAILED', exitCode: 0 });
    expect(apiError.error).toContain('529');
  });

  it('stops a run that goes silent with the watchdog', async () => {
    const started = Date.now();
    const hung = await run({ prompt: '[fake:hang] hello' });
    expect(hung.status).toBe('FAILED');
    expect(hung.error).toBe('no output for 2 s: stopped by the watchdog');
    expect(hung.signal).toBe('SIGTERM');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(hung.claudeSession).toMatchObject({ isError: null, resultSubtype: null });
  });

  it('carries a 2 MB line in chunk-sized pieces, the parsed message on the last, byte for byte', async () => {
    const long = await run({ prompt: '[fake:long_line] hello' });
    expect(long.status).toBe('SUCCEEDED');
    const stdout = readFileSync(join(t.workspace, '.rdev', 'runs', plainId(long.id), 'stdout'), 'utf8');
    let text = '';
    let after = 0;
    const events: ClaudeEvent[] = [];
    // Page through the stored output (queries are cost-limited to a few hundred events).
    for (;;) {
      const { command } = await t.gql(
        `query($id: ID!, $after: Int) { command(id: $id) { output(after: $after, first: 100) { seq stream data claude } } }`,
        { id: long.id, after },
      );
      if (command.output.length === 0) break;
      events.push(...command.output);
      after = command.output.at(-1).seq;
    }
    for (const e of events) if (e.stream === 'STDOUT') text += e.data;
    expect(text).toBe(stdout);
    expect(Buffer.byteLength(stdout)).toBeGreaterThan(2_000_000);
    expect(events.every((e) => Buffer.byteLength(e.data) <= CHUNK_BYTES)).toBe(true);
    const toolResult = events.find((e) => e.claude?.type === 'user');
    expect(toolResult!.claude.message.content[0].content).toMatch(/😀\nend$/);
    // Only the last piece of the long line carries the parse.
    const pieces = events.filter((e) => e.seq < toolResult!.seq && e.stream === 'STDOUT' && !e.claude);
    expect(pieces.length).toBeGreaterThan(100);
  });
});
