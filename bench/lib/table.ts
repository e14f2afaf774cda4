import type { BenchRow } from './report.js';
import { fmt } from './stats.js';

/** The results as a fixed-width text table (also valid Markdown). */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['id', 'measure', 'rdev (median)', 'anchor (median)', 'ratio', 'spread', 'target', 'met'];
  const lines = rows.map((r) => [
    r.id,
    r.title,
    `${fmt(r.rdev.median)} ${r.rdev.unit}`,
    `${fmt(r.anchor.median)} ${r.anchor.unit} (${r.anchor.label})`,
    fmt(r.ratio.median),
    `${fmt(r.ratio.min)}–${fmt(r.ratio.max)}`,
    r.target ? `${r.target.op === '>=' ? '≥' : '≤'} ${r.target.value}` : 'report',
    r.met === null ? '—' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [render(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(render)].join(
    '\n',
  );
}
