import { describe, expect, it } from 'vitest';
import { claudeArgv, claudePromptIssues } from '../../src/domain/claude-argv.js';
import {
  ClaudeRunTracker,
  type ClaudeStreamMessage,
  ClaudeStreamReader,
  LineAssembler,
  parseClaudeLine,
} from '../../src/domain/claude-stream.js';
import { ValidationError } from '../../src/domain/errors.js';

const SESSION = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('claudeArgv', () => {
  it('builds print mode with stream-json and --verbose, every option in --flag=value form', () => {
    expect(claudeArgv()).toEqual(['claude', '-p', '--output-format=stream-json', '--verbose']);
    expect(
      claudeArgv({
        resumeSessionId: SESSION.toUpperCase(),
        maxTurns: 5,
        allowedTools: ['Read', 'Bash(git log:*)'],
        model: 'claude-sonnet-4-5',
      }),
    ).toEqual([
      'claude',
      '-p',
      '--output-format=stream-json',
      '--verbose',
      `--resume=${SESSION}`,
      '--max-turns=5',
      '--allowedTools=Read,Bash(git log:*)',
      '--model=claude-sonnet-4-5',
    ]);
  });

  it('refuses values that are not what they claim, naming each field', () => {
    const attempt = () =>
      claudeArgv({
        resumeSessionId: '--dangerously-skip-permissions',
        maxTurns: 0,
        allowedTools: ['Read,Write', 'Bash(a) Write', '-x'],
        model: '--model=x',
      });
    expect(attempt).toThrow(ValidationError);
    try {
      attempt();
    } catch (error) {
      expect((error as ValidationError).issues.map((i) => i.path)).toEqual([
        'resumeSessionId',
        'maxTurns',
        'allowedTools.0',
        'allowedTools.1',
        'allowedTools.2',
        'model',
      ]);
    }
    expect(() => claudeArgv({ maxTurns: 1.5 })).toThrow(ValidationError);
  });

  it('checks prompts for content, NUL and size', () => {
    expect(claudePromptIssues('  ')).toHaveLength(1);
    expect(claudePromptIssues('a\0b')).toHaveLength(1);
    expect(claudePromptIssues('€'.repeat(4), 11)).toHaveLength(1);
    expect(claudePromptIssues('$(id); `id` --resume=x\n-h')).toEqual([]);
  });
});

describe('LineAssembler', () => {
  it('reassembles lines split anywhere and strips CR', () => {
    const lines = new LineAssembler();
    expect(lines.push('ab')).toEqual([]);
    expect(lines.push('c\nde')).toEqual(['abc']);
    expect(lines.push('f\r\n\ng')).toEqual(['def', '']);
    expect(lines.flush()).toEqual(['g']);
    expect(lines.flush()).toEqual([]);
  });

  it('skips a line longer than the limit without buffering it', () => {
    const lines = new LineAssembler(10);
    expect(lines.push('0123456789')).toEqual([]);
    expect(lines.push('X')).toEqual([]);
    expect(lines.push('more\nok\n')).toEqual(['ok']);
    expect(lines.skippedLines).toBe(1);
  });
});

describe('parseClaudeLine', () => {
  it('returns objects with a type and null for anything else', () => {
    expect(parseClaudeLine('{"type":"system","subtype":"init"}')).toEqual({
      type: 'system',
      subtype: 'init',
    });
    expect(parseClaudeLine('')).toBeNull();
    expect(parseClaudeLine('warning: something')).toBeNull();
    expect(parseClaudeLine('{"no":"type"}')).toBeNull();
    expect(parseClaudeLine('{"type":')).toBeNull();
    expect(parseClaudeLine('[1]')).toBeNull();
  });
});

function result(fields: Record<string, unknown>): ClaudeStreamMessage {
  return { type: 'result', subtype: 'success', is_error: false, session_id: SESSION, ...fields };
}

describe('ClaudeRunTracker', () => {
  it('takes the session from init and cost, turns and usage from result', () => {
    const tracker = new ClaudeRunTracker();
    tracker.observe({ type: 'system', subtype: 'init', session_id: 'first', model: 'claude-x' });
    tracker.observe(
      result({
        session_id: SESSION,
        total_cost_usd: 0.5,
        num_turns: 3,
        duration_ms: 99,
        usage: { output_tokens: 7 },
      }),
    );
    expect(tracker.session).toEqual({
      sessionId: SESSION,
      model: 'claude-x',
      costUsd: 0.5,
      numTurns: 3,
      durationMs: 99,
      usage: { output_tokens: 7 },
    });
    expect(tracker.outcome()).toEqual({ succeeded: true, subtype: 'success', error: null, result: null });
  });

  it('fails on is_error, error subtypes, api_error_status with success, and a missing result', () => {
    const outcome = (message: ClaudeStreamMessage | null) => {
      const tracker = new ClaudeRunTracker();
      tracker.observe({ type: 'assistant', error: 'rate_limit', session_id: SESSION });
      if (message) tracker.observe(message);
      return tracker.outcome();
    };
    expect(outcome(result({ is_error: true, result: 'Invalid API key' }))).toMatchObject({
      succeeded: false,
      error: 'Claude reported an error: Invalid API key',
    });
    expect(outcome(result({ subtype: 'error_max_turns' }))).toMatchObject({
      succeeded: false,
      subtype: 'error_max_turns',
    });
    expect(outcome(result({ api_error_status: 529 }))).toMatchObject({
      succeeded: false,
      subtype: 'success',
      error: 'The Claude API failed with status 529.',
    });
    expect(outcome(result({ api_error_status: null }))).toMatchObject({ succeeded: true });
    expect(outcome(null)).toMatchObject({ succeeded: false, error: expect.stringContaining('rate_limit') });
  });
});

describe('ClaudeStreamReader', () => {
  it('parses a 2 MB line split across many chunks, multi-byte characters included', () => {
    const content = `${'0123456789abcdé€😀\n'.repeat(100_000)}end`;
    const text = [
      JSON.stringify({ type: 'system', subtype: 'init', session_id: SESSION }),
      JSON.stringify({ type: 'user', message: { content: [{ type: 'tool_result', content }] } }),
      'not json',
      JSON.stringify(result({ total_cost_usd: 0.01, num_turns: 2, result: 'done' })),
    ].join('\n');
    expect(text.length).toBeGreaterThan(2_000_000);
    const reader = new ClaudeStreamReader();
    const messages: ClaudeStreamMessage[] = [];
    // Uneven piece sizes, like output chunks cut at byte bounds.
    for (let at = 0, size = 1; at < text.length; at += size, size = (size * 7 + 13) % 16_384 || 1) {
      messages.push(...reader.push(text.slice(at, at + size)));
    }
    messages.push(...reader.flush());
    expect(messages.map((m) => m.type)).toEqual(['system', 'user', 'result']);
    const tool = (messages[1]!.message as { content: Array<{ content: string }> }).content[0]!;
    expect(tool.content).toBe(content);
    expect(reader.otherLines).toBe(1);
    expect(reader.tracker.session).toMatchObject({ sessionId: SESSION, costUsd: 0.01, numTurns: 2 });
    expect(reader.tracker.outcome()).toMatchObject({ succeeded: true, result: 'done' });
  });
});
