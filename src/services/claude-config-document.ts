import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { ClaudeConfigKind, ClaudeConfigProblem } from '../domain/claude-config.js';
import { splitFrontmatter } from '../domain/claude-config-frontmatter.js';
import { claudeConfigFrontmatterProblems } from '../domain/claude-config-rules.js';

/** The YAML alias expansions allowed in one frontmatter (a "billion laughs" block stops here). */
const MAX_ALIAS_COUNT = 100;

/** A Claude Code markdown file taken apart. */
export type ParsedClaudeConfigDocument =
  | {
      ok: true;
      /** The parsed frontmatter; `null` when there is none (or it is empty). */
      frontmatter: unknown;
      body: string;
      problems: ClaudeConfigProblem[];
    }
  /** The frontmatter is not YAML at all: `line` (1-based, in the file) and `reason` say where and why. */
  | { ok: false; line: number; reason: string };

/**
 * Splits `text` into frontmatter and body, parses the frontmatter as YAML (the `yaml` package,
 * YAML 1.2 core schema, duplicate keys refused) and checks it against Claude Code's rules for
 * `kind`. Rule problems come back on the result; only YAML that cannot be parsed fails.
 */
export function parseClaudeConfigDocument(
  kind: ClaudeConfigKind,
  name: string,
  text: string,
): ParsedClaudeConfigDocument {
  const split = splitFrontmatter(text);
  if (split.kind === 'none') {
    return {
      ok: true,
      frontmatter: null,
      body: text,
      problems: claudeConfigFrontmatterProblems(kind, name, undefined),
    };
  }
  if (split.kind === 'unterminated') {
    return {
      ok: false,
      line: 1,
      reason: 'the frontmatter opens with "---" on line 1 but no closing "---" line follows',
    };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(split.yaml, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const fileLine = (yamlLine: number) => split.firstLine + yamlLine - 1;
  const firstError = doc.errors[0];
  if (firstError) {
    return {
      ok: false,
      line: fileLine(firstError.linePos?.[0]?.line ?? 1),
      reason: reasonOf(firstError.message),
    };
  }
  let frontmatter: unknown;
  try {
    frontmatter = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    return { ok: false, line: split.firstLine, reason: reasonOf((error as Error).message) };
  }
  const fieldLines: Record<string, number> = {};
  if (isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      if (isScalar(pair.key) && pair.key.range) {
        fieldLines[String(pair.key.value)] = fileLine(lineCounter.linePos(pair.key.range[0]).line);
      }
    }
  }
  const warnings: ClaudeConfigProblem[] = doc.warnings.map((w) => ({
    severity: 'WARNING',
    field: null,
    line: fileLine(w.linePos?.[0]?.line ?? 1),
    message: `YAML: ${reasonOf(w.message)}`,
  }));
  return {
    ok: true,
    frontmatter: frontmatter ?? null,
    body: split.body,
    problems: [...warnings, ...claudeConfigFrontmatterProblems(kind, name, frontmatter, fieldLines)],
  };
}

/** The `yaml` package's first message line without its position suffix and code excerpt. */
function reasonOf(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '').trim() || 'invalid YAML';
}
