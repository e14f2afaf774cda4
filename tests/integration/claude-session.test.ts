import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandTestApp, collectOutput, startCommandApp } from '../support/command-test-app.js';
import { eventually, sleep } from '../support/wait.js';

const RUN_CLAUDE = `mutation($input: RunClaudeInput!) { runClaude(input: $input) { __typename
  ... on RunCommandPayload { command { id status stdinOpen argv } } ... on Error { code message } } }`;
const SESSION_RESULT = `__typename ... on ClaudeSessionPayload { command { id stdinOpen } } ... on Error { code message }`;
const MESSAGE = `mutation($id: ID!, $text: String!) { sendClaudeMessage(input: { commandId: $id, text: $text }) { ${SESSION_RESULT} } }`;
const INTERRUPT = `mutation($id: ID!) { interruptClaude(input: { commandId: $id }) { ${SESSION_RESULT} } }`;
const END = `mutation($id: ID!) { endClaudeSession(input: { commandId: $id }) { ${SESSION_RESULT} } }`;
const OUTPUT = 'query($id: ID!) { command(id: $id) { status output(first: 100) { claude } } }';

describe('interactive Claude sessions on the local runtime', () => {
  let t: CommandTestApp;
  beforeAll(async () => {
    // Short enough to test, long enough for a CLI to start on a busy machine.
    t = await startCommandApp('local', { RDEV_CLAUDE_WATCHDOG_SECONDS: '4' });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function messages(id: string): Promise<any[]> {
    const { command } = await t.gql(OUTPUT, { id });
    return command.output.map((e: { claude: unknown }) => e.claude).filter(Boolean);
  }

  it('holds a conversation: messages in order, an interrupted turn, quiet time between turns, and an end', async () => {
    const { runClaude } = await t.gql(RUN_CLAUDE, {
      input: { projectName: 'demo', prompt: 'first question', interactive: true },
    });
    expect(runClaude.command).toMatchObject({ stdinOpen: true });
    expect(runClaude.command.argv).toContain('--input-format=stream-json');
    const id = runClaude.command.id;
    const output = collectOutput(t.wsClient(), id);

    await eventually(async () => (await messages(id)).some((m) => m.type === 'result'), 'the first answer');
    // Longer than the watchdog: a session waiting for its next message is not a hang.
    await sleep(5_000);
    const waited = await t.gql('query($id: ID!) { command(id: $id) { status error } }', { id });
    expect(waited.command).toEqual({ status: 'RUNNING', error: null });

    expect((await t.gql(MESSAGE, { id, text: 'second' })).sendClaudeMessage.__typename).toBe(
      'ClaudeSessionPayload',
    );
    await t.gql(MESSAGE, { id, text: 'a long one [fake:slow]' });
    await eventually(
      async () => (await messages(id)).some((m) => m.message?.content?.[0]?.text?.includes('long one')),
      'the slow turn to begin',
    );
    expect((await t.gql(INTERRUPT, { id })).interruptClaude.__typename).toBe('ClaudeSessionPayload');
    await t.gql(MESSAGE, { id, text: 'third, with "quotes"\nand a second line' });
    const ended = (await t.gql(END, { id })).endClaudeSession;
    expect(ended).toMatchObject({ __typename: 'ClaudeSessionPayload', command: { stdinOpen: false } });

    const events = await output;
    expect(events.at(-1)!.end).toMatchObject({ status: 'SUCCEEDED', exitCode: 0 });
    const all = await messages(id);
    const results = all.filter((m) => m.type === 'result');
    expect(results.map((r) => [r.subtype, r.result])).toEqual([
      ['success', 'echo: first question'],
      ['success', 'echo: second'],
      // An error result carries `errors`, not a `result` text.
      ['error_during_execution', undefined],
      ['success', 'echo: third, with "quotes"\nand a second line'],
    ]);
    expect(all.filter((m) => m.type === 'control_response')).toEqual([
      { type: 'control_response', response: { subtype: 'success', request_id: expect.any(String) } },
    ]);
    // The CLI reports running totals: the session is what the last result says.
    const { command } = await t.gql(
      'query($id: ID!) { command(id: $id) { claudeSession { costUsd numTurns resultSubtype } } }',
      { id },
    );
    expect(command.claudeSession).toEqual({ costUsd: 0.04, numTurns: 4, resultSubtype: 'success' });

    const late = (await t.gql(MESSAGE, { id, text: 'too late' })).sendClaudeMessage;
    expect(late).toMatchObject({ code: 'NOT_ACCEPTING_INPUT' });
  });

  it('refuses messages to commands that are not interactive sessions', async () => {
    const { runClaude } = await t.gql(RUN_CLAUDE, { input: { projectName: 'demo', prompt: 'one shot' } });
    const shell = await t.runShell({ argv: ['cat'], openStdin: true });
    for (const id of [runClaude.command.id, shell.id]) {
      const refused = (await t.gql(MESSAGE, { id, text: 'hello' })).sendClaudeMessage;
      expect(refused).toMatchObject({
        __typename: 'CommandNotAcceptingInputError',
        code: 'NOT_ACCEPTING_INPUT',
      });
      expect(refused.message).toContain('not an interactive Claude session');
      expect((await t.gql(INTERRUPT, { id })).interruptClaude).toMatchObject({ code: 'NOT_ACCEPTING_INPUT' });
    }
    expect((await t.gql(MESSAGE, { id: shell.id, text: '  ' })).sendClaudeMessage).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await t.gql('mutation($id: ID!) { cancelCommand(input: { id: $id }) { __typename } }', { id: shell.id });
  });
});
