import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppMetrics } from '../../src/observability/metrics.js';

const doc = readFileSync(new URL('../../docs/operations/monitoring.md', import.meta.url), 'utf8');
const dashboard = JSON.parse(
  readFileSync(new URL('../../docs/operations/grafana-dashboard.json', import.meta.url), 'utf8'),
) as { panels: { id: number; type: string; targets?: { expr: string }[] }[] };

async function registered(): Promise<Set<string>> {
  const metrics = await new AppMetrics().registry.getMetricsAsJSON();
  return new Set(metrics.map((m) => m.name));
}

/** Metric names in PromQL, without the histogram series suffixes. */
function referenced(text: string): string[] {
  const names = text.match(/\b(?:rdev|nodejs|process)_[a-z0-9_]+/g) ?? [];
  return [...new Set(names.map((n) => n.replace(/_(bucket|count|sum)$/, '')))];
}

describe('monitoring docs', () => {
  it('describe every rdev metric the app exports', async () => {
    const missing = [...(await registered())].filter(
      (n) => n.startsWith('rdev_') && !doc.includes(`\`${n}\``),
    );
    expect(missing).toEqual([]);
  });

  it('alert on and chart only metrics that exist', async () => {
    const names = await registered();
    const rules = doc.slice(doc.indexOf('```yaml'), doc.indexOf('```', doc.indexOf('```yaml') + 7));
    expect(referenced(rules).length).toBeGreaterThan(5);
    expect(referenced(rules).filter((n) => !names.has(n))).toEqual([]);
    const exprs = dashboard.panels.flatMap((p) => p.targets?.map((t) => t.expr) ?? []).join('\n');
    expect(referenced(exprs).length).toBeGreaterThan(20);
    expect(referenced(exprs).filter((n) => !names.has(n))).toEqual([]);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
