import { describe, expect, it } from 'vitest';
import { claudeConfigNameProblem, parseClaudeConfigItemId } from '../../src/domain/claude-config.js';
import { splitFrontmatter } from '../../src/domain/claude-config-frontmatter.js';
import { parseClaudeConfigDocument } from '../../src/services/claude-config-document.js';

const problemsOf = (kind: 'COMMAND' | 'AGENT' | 'SKILL', name: string, text: string) => {
  const parsed = parseClaudeConfigDocument(kind, name, text);
  if (!parsed.ok) throw new Error(`unparseable: line ${parsed.line}: ${parsed.reason}`);
  return parsed.problems.map((p) => `${p.severity} ${p.field ?? '-'} ${p.line ?? '-'}`);
};

describe('item names', () => {
  it.each([
    ['COMMAND', 'a'],
    ['COMMAND', 'deploy-2'],
    ['SKILL', 'x'.repeat(64)],
    ['AGENT', 'abc'],
    ['AGENT', 'a'.repeat(50)],
  ] as const)('accepts %s %s', (kind, name) => {
    expect(claudeConfigNameProblem(kind, name)).toBeNull();
  });

  it.each([
    ['COMMAND', ''],
    ['COMMAND', '../x'],
    ['COMMAND', 'a/b'],
    ['COMMAND', '.'],
    ['COMMAND', '..'],
    ['COMMAND', '%2e%2e'],
    ['COMMAND', 'name\u0000'],
    ['COMMAND', 'Deploy'],
    ['COMMAND', '-deploy'],
    ['COMMAND', 'deploy-'],
    ['COMMAND', 'dеploy'], // Cyrillic е
    ['COMMAND', 'ｄｅｐｌｏｙ'],
    ['COMMAND', 'a.md'],
    ['SKILL', 'x'.repeat(65)],
    ['AGENT', 'ab'],
    ['AGENT', 'a'.repeat(51)],
  ] as const)('refuses %s %j', (kind, name) => {
    expect(claudeConfigNameProblem(kind, name)).not.toBeNull();
  });

  it('parses only well-formed item ids', () => {
    expect(parseClaudeConfigItemId('demo/SKILL/x')).toEqual({
      projectName: 'demo',
      kind: 'SKILL',
      name: 'x',
    });
    expect(parseClaudeConfigItemId('demo/FILE/x')).toBeNull();
    expect(parseClaudeConfigItemId('demo/SKILL/x/y')).toBeNull();
  });
});

describe('frontmatter blocks', () => {
  it('finds the YAML between the first two --- lines, with CRLF and a byte-order mark', () => {
    expect(splitFrontmatter('---\na: 1\n---\nbody\n')).toEqual({
      kind: 'block',
      yaml: 'a: 1\n',
      firstLine: 2,
      body: 'body\n',
    });
    expect(splitFrontmatter('\uFEFF---\r\na: 1\r\n---\r\nbody')).toMatchObject({
      yaml: 'a: 1\r\n',
      body: 'body',
    });
    expect(splitFrontmatter('---\n---')).toEqual({ kind: 'block', yaml: '', firstLine: 2, body: '' });
    expect(splitFrontmatter('# title\n---\n')).toEqual({ kind: 'none', body: '# title\n---\n' });
    expect(splitFrontmatter('')).toEqual({ kind: 'none', body: '' });
    expect(splitFrontmatter('---\na: 1\n')).toEqual({ kind: 'unterminated' });
  });
});

describe('parsing and checking items', () => {
  it('refuses YAML that does not parse, naming the file line and the reason', () => {
    const parsed = parseClaudeConfigDocument('COMMAND', 'x', '---\ndescription: ok\nbad: [1, 2\n---\nbody');
    expect(parsed).toMatchObject({ ok: false, line: expect.any(Number) });
    if (parsed.ok) return;
    expect(parsed.line).toBeGreaterThanOrEqual(3);
    expect(parsed.reason).not.toMatch(/at line/);
    expect(parseClaudeConfigDocument('COMMAND', 'x', '---\na: 1\na: 2\n---\n')).toMatchObject({
      ok: false,
      line: 3,
      reason: expect.stringMatching(/unique/i),
    });
    expect(parseClaudeConfigDocument('COMMAND', 'x', '---\nno end')).toMatchObject({ ok: false, line: 1 });
  });

  it('stops alias bombs', () => {
    const bomb = ['---', 'a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++)
      bomb.push(
        `${'b'.repeat(i + 1)}: &${'b'.repeat(i + 1)} [*${i === 0 ? 'a' : 'b'.repeat(i)}, *${i === 0 ? 'a' : 'b'.repeat(i)}, *${i === 0 ? 'a' : 'b'.repeat(i)}]`,
      );
    bomb.push('---', '');
    expect(parseClaudeConfigDocument('COMMAND', 'x', bomb.join('\n'))).toMatchObject({ ok: false });
  });

  it('accepts commands without frontmatter and checks the fields they have', () => {
    expect(problemsOf('COMMAND', 'x', 'Just a prompt with $ARGUMENTS')).toEqual([]);
    expect(
      problemsOf(
        'COMMAND',
        'x',
        '---\ndescription: Deploy\nallowed-tools: Bash(git:*), Read\nargument-hint: [env]\nmodel: claude-sonnet-4-5-20250929\n---\nGo',
      ),
    ).toEqual([]);
    expect(problemsOf('COMMAND', 'x', '---\ndescription: [1]\nmodel: "gpt 4"\ncolour: red\n---\n')).toEqual([
      'ERROR description 2',
      'ERROR model 3',
      'WARNING colour 4',
    ]);
  });

  it('requires name (the file name) and description on agents', () => {
    expect(problemsOf('AGENT', 'code-reviewer', 'You review code.')).toEqual(['ERROR - 1']);
    expect(
      problemsOf(
        'AGENT',
        'code-reviewer',
        '---\nname: code-reviewer\ndescription: Reviews code\ntools: Read, Grep\nmodel: inherit\ncolor: blue\n---\nYou review.',
      ),
    ).toEqual([]);
    expect(
      problemsOf('AGENT', 'code-reviewer', '---\nname: reviewer\nmodel: gpt\ncolor: mauve\ntools: 3\n---\n'),
    ).toEqual(['ERROR description -', 'WARNING color 4', 'ERROR tools 5', 'ERROR name 2']);
    expect(problemsOf('AGENT', 'code-reviewer', '---\n- a\n- b\n---\n')).toEqual(['ERROR - 2']);
    expect(problemsOf('AGENT', 'code-reviewer', '---\n---\n')).toEqual([
      'ERROR name -',
      'ERROR description -',
    ]);
  });

  it('requires name (the folder name) and a description of at most 1024 characters on skills', () => {
    expect(problemsOf('SKILL', 'pdf', '---\nname: pdf\ndescription: Reads PDFs\n---\n# PDF')).toEqual([]);
    expect(problemsOf('SKILL', 'pdf', `---\nname: pdf\ndescription: ${'d'.repeat(1025)}\n---\n`)).toEqual([
      'ERROR description 3',
    ]);
    expect(problemsOf('SKILL', 'pdf', '---\nname: PDF\ndescription: ""\n---\n')).toEqual([
      'ERROR description 3',
      'ERROR name 2',
    ]);
  });

  it('returns the parsed frontmatter and the body', () => {
    expect(
      parseClaudeConfigDocument(
        'SKILL',
        'pdf',
        '---\nname: pdf\ndescription: x\nmetadata: {a: 1}\n---\nBody\n',
      ),
    ).toEqual({
      ok: true,
      frontmatter: { name: 'pdf', description: 'x', metadata: { a: 1 } },
      body: 'Body\n',
      problems: [],
    });
  });
});
