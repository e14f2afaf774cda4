import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { claudeInterruptRequest, claudeUserMessage } from '../../src/domain/claude-input.js';
import { FAKE_CLAUDE_DIR } from '../support/runtime-harness.js';

/**
 * The fake `claude` stands in for the real CLI in every Claude test, so it must not drift from it.
 * The `@anthropic-ai/claude-agent-sdk` package publishes the types of every line the CLI writes on
 * stdout (its transport's `readMessages()` yields them). Each line the fake prints, in every mode,
 * is written into a TypeScript module as an object literal of that type and type-checked: a field
 * the real CLI never prints fails as an excess property, one it always prints as a missing one,
 * and a wrong kind of value as a type error.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FAKE = `${FAKE_CLAUDE_DIR}claude`;
const PRINT_ARGS = ['-p', '--output-format=stream-json', '--verbose'];

/**
 * Runs the fake in `mode` with `input` on stdin and returns the JSON lines it printed, stopping it
 * once `enough` holds.
 */
async function linesOf(
  mode: string,
  enough: (lines: unknown[]) => boolean = () => false,
  options: { args?: string[]; input?: Uint8Array[] } = {},
): Promise<unknown[]> {
  const child = spawn(process.execPath, [FAKE, ...PRINT_ARGS, ...(options.args ?? [])], {
    env: { ...process.env, FAKE_CLAUDE_MODE: mode },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  for (const line of options.input ?? [new TextEncoder().encode('Say hello')]) child.stdin.write(line);
  child.stdin.end();
  const lines: unknown[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for await (const line of createInterface({ input: child.stdout })) {
    lines.push(JSON.parse(line));
    if (enough(lines)) break;
  }
  child.kill('SIGKILL');
  await exited;
  return lines;
}

const isResult = (lines: unknown[]) => (lines.at(-1) as { type?: string } | undefined)?.type === 'result';

/** Type-checks `source` as a module at the project's root; returns each problem with its line's label. */
function typeErrors(source: string, labels: string[]): string[] {
  const file = `${ROOT}tests/fake-claude-lines.generated.ts`;
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? source : readFile.call(host, name));
  host.getSourceFile = (name, language, ...rest) =>
    name === file
      ? ts.createSourceFile(name, source, language)
      : getSourceFile.call(host, name, language, ...rest);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return text;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const label = labels[source.slice(0, d.start).split('\n// line ').length - 2] ?? `line ${line + 1}`;
    return `${label}: ${text}`;
  });
}

interface Sample {
  label: string;
  line: unknown;
  /** Which way the line goes: printed by the CLI, or written to it by rdev. */
  way: 'stdout' | 'stdin';
}

function moduleOf(samples: Sample[]): string {
  const head = [
    `import type { SDKControlRequest, SDKControlResponse, SDKUserMessage, Transport } from '@anthropic-ai/claude-agent-sdk';`,
    '// Everything the CLI writes on stdout, as the SDK reads it.',
    'type StdoutMessage = ReturnType<Transport["readMessages"]> extends AsyncGenerator<infer M, void, unknown> ? M : never;',
    '// What a host writes to the CLI in stream-json input mode.',
    'type StdinMessage = SDKUserMessage | SDKControlRequest | SDKControlResponse;',
  ];
  const body = samples.map(
    ({ label, line, way }, i) =>
      `// line ${label}\nexport const line${i}: ${way === 'stdout' ? 'StdoutMessage' : 'StdinMessage'} = ${JSON.stringify(line)};`,
  );
  return `${[...head, ...body].join('\n')}\n`;
}

describe('the fake claude', () => {
  it('prints only lines the real CLI could print, in every mode', { timeout: 120_000 }, async () => {
    const modes: [string, (lines: unknown[]) => boolean][] = [
      ['success', () => false],
      ['is_error', () => false],
      ['api_error', () => false],
      ['max_turns', () => false],
      ['argv', () => false],
      ['no_result', () => false],
      ['long_line', () => false],
      ['hang', (lines) => lines.length === 2],
      ['hang_after_result', isResult],
    ];
    const samples: Sample[] = [];
    for (const [mode, enough] of modes) {
      const lines = await linesOf(mode, enough);
      expect(lines.length, `mode ${mode} printed nothing`).toBeGreaterThan(0);
      lines.forEach((line, i) => {
        samples.push({ label: `${mode}#${i + 1}`, line, way: 'stdout' });
      });
    }
    // A two-way session: the lines rdev writes on the CLI's stdin, and what the fake answers.
    const input = [
      claudeUserMessage('Say hello'),
      claudeInterruptRequest('req-1'),
      claudeUserMessage('And goodbye'),
    ];
    for (const [i, bytes] of input.entries()) {
      samples.push({
        label: `stdin#${i + 1}`,
        line: JSON.parse(new TextDecoder().decode(bytes)),
        way: 'stdin',
      });
    }
    const session = await linesOf('success', () => false, { args: ['--input-format=stream-json'], input });
    expect(session.filter((l) => (l as { type: string }).type === 'result')).toHaveLength(2);
    session.forEach((line, i) => {
      samples.push({ label: `interactive#${i + 1}`, line, way: 'stdout' });
    });
    // One planted line with a field the CLI never prints shows that the check can fail: it must
    // be the only problem found.
    samples.push({
      label: 'planted',
      line: { ...(samples[0]!.line as object), not_a_cli_field: true },
      way: 'stdout',
    });
    const errors = typeErrors(
      moduleOf(samples),
      samples.map((s) => s.label),
    );
    expect(errors.filter((e) => !e.startsWith('planted: '))).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^planted: .*not_a_cli_field/s);
  });
});
