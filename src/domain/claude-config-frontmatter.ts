/**
 * The frontmatter block of a Claude Code markdown file: a first line `---`, YAML, and a closing
 * `---` line. Anything else at the top means the file has no frontmatter.
 */
export type FrontmatterSplit =
  /** No block: all of the text is the body. */
  | { kind: 'none'; body: string }
  /** A block; `firstLine` is the 1-based file line of the YAML's first line. */
  | { kind: 'block'; yaml: string; firstLine: number; body: string }
  /** A `---` first line without a closing one. */
  | { kind: 'unterminated' };

const DELIMITER = /^---[ \t]*$/;

/** Splits `text` into its frontmatter YAML and its body (a leading byte-order mark is skipped). */
export function splitFrontmatter(text: string): FrontmatterSplit {
  const start = text.startsWith('\uFEFF') ? 1 : 0;
  const firstEnd = text.indexOf('\n', start);
  const firstLine = stripCr(text.slice(start, firstEnd === -1 ? text.length : firstEnd));
  if (!DELIMITER.test(firstLine)) return { kind: 'none', body: text };
  if (firstEnd === -1) return { kind: 'unterminated' };
  const yamlStart = firstEnd + 1;
  let lineStart = yamlStart;
  while (lineStart <= text.length) {
    const lineEnd = text.indexOf('\n', lineStart);
    const end = lineEnd === -1 ? text.length : lineEnd;
    if (DELIMITER.test(stripCr(text.slice(lineStart, end)))) {
      return {
        kind: 'block',
        yaml: text.slice(yamlStart, lineStart),
        firstLine: 2,
        body: lineEnd === -1 ? '' : text.slice(lineEnd + 1),
      };
    }
    if (lineEnd === -1) break;
    lineStart = lineEnd + 1;
  }
  return { kind: 'unterminated' };
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
