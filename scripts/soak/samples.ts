/** Samples of the server's own Prometheus metrics over a soak run, and the verdict on them. */

export interface Sample {
  /** Seconds since the load started. */
  at: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** What V8 has reserved for the heap: with RSS, it explains growth that is not retained objects. */
  heapTotalBytes: number;
  /** Memory outside the heap that objects hold (buffers): a native leak shows here. */
  externalBytes: number;
  openFds: number;
  /** Event-loop lag p99 over the interval since the previous sample (prom-client resets it). */
  lagP99Seconds: number;
  activeSubscriptions: number;
  requests: number;
  errors: number;
}

const METRIC = (text: string, name: string, labels = ''): number => {
  const pattern = new RegExp(
    `^${name}${labels ? `\\{${labels}\\}` : '(?:\\{[^}]*\\})?'} ([0-9.e+-]+)$`,
    'gm',
  );
  let total = 0;
  let found = false;
  for (const match of text.matchAll(pattern)) {
    total += Number(match[1]);
    found = true;
  }
  return found ? total : Number.NaN;
};

export function parseSample(text: string, at: number, requests: number, errors: number): Sample {
  return {
    at,
    rssBytes: METRIC(text, 'process_resident_memory_bytes'),
    heapUsedBytes: METRIC(text, 'nodejs_heap_size_used_bytes'),
    heapTotalBytes: METRIC(text, 'nodejs_heap_size_total_bytes'),
    externalBytes: METRIC(text, 'nodejs_external_memory_bytes'),
    openFds: METRIC(text, 'process_open_fds'),
    lagP99Seconds: METRIC(text, 'nodejs_eventloop_lag_p99_seconds'),
    activeSubscriptions: METRIC(text, 'rdev_active_subscriptions'),
    requests,
    errors,
  };
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

export interface Verdict {
  warmupSeconds: number;
  /** Length of the first and the last window compared. */
  windowSeconds: number;
  rssGrowthPercent: number;
  heapGrowthPercent: number;
  externalGrowthPercent: number;
  fdsFirst: number;
  fdsLast: number;
  lagP99MaxMs: number;
  lagP99MedianMs: number;
}

/**
 * Growth after warm-up: the median of the last window against the median of the first window
 * after warm-up. A garbage-collected heap saws up and down (here about once a minute under load)
 * and a single sample can land at any point of a saw, so each window is at least 90 s (a quarter
 * of the run after warm-up when longer) and compared by its median, which one outlier cannot move.
 */
export function verdict(samples: Sample[], warmupSeconds: number): Verdict {
  const after = samples.filter((s) => s.at >= warmupSeconds);
  const start = after[0]?.at ?? warmupSeconds;
  const end = after.at(-1)?.at ?? warmupSeconds;
  const windowSeconds = Math.min(Math.max(90, (end - start) / 4), (end - start) / 2);
  const first = after.filter((s) => s.at <= start + windowSeconds);
  const last = after.filter((s) => s.at >= end - windowSeconds);
  const median = (list: Sample[], pick: (s: Sample) => number) => {
    const values = list.map(pick).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)] ?? Number.NaN;
  };
  const growth = (pick: (s: Sample) => number) =>
    ((median(last, pick) - median(first, pick)) / median(first, pick)) * 100;
  const lags = after.map((s) => s.lagP99Seconds * 1000).sort((a, b) => a - b);
  return {
    warmupSeconds,
    windowSeconds,
    rssGrowthPercent: growth((s) => s.rssBytes),
    heapGrowthPercent: growth((s) => s.heapUsedBytes),
    externalGrowthPercent: growth((s) => s.externalBytes),
    fdsFirst: first[0]?.openFds ?? Number.NaN,
    fdsLast: last.at(-1)?.openFds ?? Number.NaN,
    lagP99MaxMs: lags.at(-1) ?? Number.NaN,
    lagP99MedianMs: lags[Math.floor(lags.length / 2)] ?? Number.NaN,
  };
}

/** The samples as a Markdown table. */
export function sampleTable(samples: Sample[]): string {
  const rows = samples.map((s, i) => {
    const previous = samples[i - 1];
    const seconds = previous ? s.at - previous.at : s.at;
    const rate = previous ? (s.requests - previous.requests) / Math.max(1, seconds) : 0;
    return `| ${s.at.toFixed(0)} | ${mb(s.rssBytes)} | ${mb(s.heapUsedBytes)} | ${mb(s.heapTotalBytes)} | ${mb(s.externalBytes)} | ${s.openFds} | ${(s.lagP99Seconds * 1000).toFixed(1)} | ${s.activeSubscriptions} | ${rate.toFixed(0)} | ${s.errors} |`;
  });
  return [
    '| s | RSS MB | heap used MB | heap total MB | external MB | fds | lag p99 ms | subscriptions | req/s | errors |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

/** The heap left after one full (mark-compact) collection, from V8's `--trace-gc` lines. */
export interface Collection {
  /** Seconds since the load started. */
  at: number;
  afterBytes: number;
}

const MARK_COMPACT =
  /\]\s+(\d+) ms: Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/g;

/**
 * Full collections in `--trace-gc` output. `offsetSeconds` is how long after the process started
 * the load did (V8 counts from the start of the process).
 */
export function parseCollections(traceGc: string, offsetSeconds: number): Collection[] {
  return [...traceGc.matchAll(MARK_COMPACT)].map((m) => ({
    at: Number(m[1]) / 1000 - offsetSeconds,
    afterBytes: Number(m[2]) * 1024 * 1024,
  }));
}

/**
 * Growth of what survives full collections: the median of those in the last window against the
 * median of those in the first window after warm-up (the same windows as {@link verdict}). What
 * a leak grows is this, whatever the heap's saw and V8's reservations do.
 */
export function retainedGrowth(
  collections: Collection[],
  v: Verdict,
  end: number,
): { percent: number; first: number; last: number; count: number } {
  const after = collections.filter((c) => c.at >= v.warmupSeconds);
  const median = (list: Collection[]) => {
    const values = list.map((c) => c.afterBytes).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)] ?? Number.NaN;
  };
  const first = median(after.filter((c) => c.at <= v.warmupSeconds + v.windowSeconds));
  const last = median(after.filter((c) => c.at >= end - v.windowSeconds));
  return { percent: ((last - first) / first) * 100, first, last, count: after.length };
}
