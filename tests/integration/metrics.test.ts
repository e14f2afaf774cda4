import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandTestApp, plainId, startCommandApp } from '../support/command-test-app.js';
import { openCommandStream } from '../support/sse-client.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

/** One scrape: `name{labels}` (labels sorted) → value. */
type Scrape = Map<string, number>;

function parse(text: string): Scrape {
  const out: Scrape = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unparsable metrics line: ${line}`);
    const labels = [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, k, v]) => `${k}="${v}"`)
      .sort()
      .join(',');
    out.set(labels ? `${match[1]}{${labels}}` : match[1]!, Number(match[3]));
  }
  return out;
}

/** The value of a series; `labels` as `a="x",b="y"` in any order. Absent series count as 0. */
function value(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  const key = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  return scrape.get(key ? `${name}{${key}}` : name) ?? 0;
}

/** Sum over every series of `name` whose labels include `labels`. */
function sum(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const [series, v] of scrape) {
    const [metric, rest = ''] = series.split('{');
    if (metric !== name) continue;
    if (Object.entries(labels).every(([k, l]) => rest.includes(`${k}="${l}"`))) total += v;
  }
  return total;
}

describe('metrics after a scripted workload (Kubernetes runtime)', () => {
  let t: CommandTestApp;
  let receiver: WebhookReceiver;

  // One connection per scrape: a kept-alive one that sat idle while the test worked (1,000 requests
  // on a busy machine) could be closed by the server just as it was reused (ECONNRESET).
  const scrape = async (): Promise<Scrape> => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      get(`${t.url}/metrics`, { agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      }).on('error', reject);
    });
    expect(status).toBe(200);
    return parse(body);
  };
  /** Scrapes until `check` passes (gauges read the queue at most every few seconds). */
  const scrapeUntil = async (check: (s: Scrape) => boolean, what: string, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await scrape();
      if (check(s)) return s;
      if (Date.now() > deadline) throw new Error(`metrics never showed ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(async () => {
    receiver = await startWebhookReceiver((_request, res) => {
      res.writeHead(500);
      res.end('down for maintenance');
    });
    t = await startCommandApp(
      'kubernetes',
      {
        RDEV_DISPATCH_INTERVAL_MS: '100',
        RDEV_RATE_LIMIT_ANONYMOUS: '3',
        RDEV_RATE_LIMIT_PER_KEY: '1000000',
        RDEV_WEBHOOK_ALLOW_PRIVATE: 'true',
        RDEV_WEBHOOK_POLL_INTERVAL_MS: '50',
        RDEV_WEBHOOK_RETRY_SCHEDULE: '1h',
        RDEV_KUBE_BREAKER_FAILURES: '2',
        RDEV_KUBE_BREAKER_OPEN_MS: '600000',
      },
      { projectSettings: 'max_concurrent_commands: 1' },
    );
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('moves every metric the way the work did', async () => {
    const before = await scrape();
    // Every transport is present from the start, at zero.
    for (const transport of ['graphql-ws', 'graphql-sse', 'http', 'legacy-sse']) {
      expect(before.has(`rdev_active_subscriptions{transport="${transport}"}`)).toBe(true);
    }
    const build = [...before].find(([k]) => k.startsWith('rdev_build_info{'));
    expect(build?.[0]).toContain('runtime="kubernetes"');
    expect(build?.[1]).toBe(1);

    // A webhook whose receiver fails: one attempt, then a retry scheduled an hour away.
    await t.gql(`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { __typename } }`, {
      input: { url: `${receiver.origin}/hook`, events: ['COMMAND_QUEUED'] },
    });

    // Commands: one that succeeds, one that keeps the only slot busy, one that waits for it.
    const quick = await t.runShell({ argv: ['echo', 'hello'] });
    expect((await t.waitForEnd(quick.id)).status).toBe('SUCCEEDED');
    const slow = await t.runShell({ argv: ['sleep', '60'] });
    const waiting = await t.runShell({ argv: ['echo', 'later'] });
    await t.gql(`query MetricsProbe { viewer { clientIp } }`);

    // Refused requests: a malformed key, and anonymous requests over their rate limit.
    await t.graphql('{ viewer { clientIp } }', {}, { authorization: 'Bearer rdev_malformed' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await t.graphql('{ __typename }')).status);
    expect(statuses).toContain(429);

    // One subscription on each transport, on the running command.
    const ws = t.wsClient();
    const stopWs = ws.subscribe(
      {
        query: `subscription($id: ID!) { commandOutput(commandId: $id) { seq } }`,
        variables: { id: slow.id },
      },
      { next: () => {}, error: () => {}, complete: () => {} },
    );
    const sseAbort = new AbortController();
    const sse = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { ...t.auth(), 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        query: `subscription($id: ID!) { commandUpdated(commandId: $id) { status } }`,
        variables: { id: slow.id },
      }),
      signal: sseAbort.signal,
    });
    expect(sse.status).toBe(200);
    const legacy = openCommandStream(t.url, plainId(slow.id), t.adminKey);

    const during = await scrapeUntil(
      (s) =>
        value(s, 'rdev_command_queue_depth', { project: 'demo' }) === 1 &&
        value(s, 'rdev_commands_running', { project: 'demo' }) === 1 &&
        value(s, 'rdev_active_subscriptions', { transport: 'graphql-ws' }) === 1 &&
        value(s, 'rdev_active_subscriptions', { transport: 'graphql-sse' }) === 1 &&
        value(s, 'rdev_active_subscriptions', { transport: 'legacy-sse' }) === 1 &&
        value(s, 'rdev_webhook_backlog') >= 1,
      'the queue, the subscriptions and the webhook backlog',
    );
    expect(value(during, 'rdev_command_queue_oldest_age_seconds', { project: 'demo' })).toBeGreaterThan(0);

    // Everything ends: the subscriptions close, the commands are cancelled.
    stopWs();
    sseAbort.abort();
    legacy.source.close();
    for (const c of [waiting, slow]) {
      await t.gql(`mutation($input: CancelCommandInput!) { cancelCommand(input: $input) { __typename } }`, {
        input: { id: c.id },
      });
    }
    for (const c of [waiting, slow]) expect((await t.waitForEnd(c.id)).status).toBe('CANCELLED');
    const after = await scrapeUntil(
      (s) =>
        sum(s, 'rdev_active_subscriptions') === 0 &&
        value(s, 'rdev_command_queue_depth', { project: 'demo' }) === 0 &&
        value(s, 'rdev_commands_running', { project: 'demo' }) === 0 &&
        value(s, 'rdev_webhook_deliveries_total', { outcome: 'retrying' }) >= 3,
      'the subscriptions closed, the queue empty and the webhook attempts made',
    );

    const moved = (name: string, labels: Record<string, string> = {}) =>
      sum(after, name, labels) - sum(before, name, labels);
    // HTTP and GraphQL, by (known) operation name.
    expect(moved('rdev_http_requests_total', { route: '/graphql', status: '2xx' })).toBeGreaterThan(5);
    expect(moved('rdev_http_requests_total', { route: '/graphql', status: '4xx' })).toBeGreaterThanOrEqual(2);
    expect(moved('rdev_http_request_duration_seconds_count', { route: '/graphql' })).toBeGreaterThan(5);
    expect(moved('rdev_graphql_operations_total', { operation_name: 'MetricsProbe', outcome: 'ok' })).toBe(1);
    expect(moved('rdev_graphql_operation_duration_seconds_count', { operation_name: 'MetricsProbe' })).toBe(
      1,
    );
    expect(moved('rdev_graphql_operations_total', { operation_type: 'subscription' })).toBeGreaterThanOrEqual(
      2,
    );
    // Refusals.
    expect(moved('rdev_auth_failures_total', { reason: 'malformed' })).toBe(1);
    expect(moved('rdev_rate_limited_requests_total', { subject: 'ip' })).toBeGreaterThanOrEqual(2);
    // Commands by type and status, their wait in the queue, run time and output.
    expect(moved('rdev_commands_queued_total', { type: 'SHELL' })).toBe(3);
    expect(moved('rdev_commands_total', { type: 'SHELL', status: 'SUCCEEDED' })).toBe(1);
    expect(moved('rdev_commands_total', { type: 'SHELL', status: 'CANCELLED' })).toBe(2);
    expect(moved('rdev_command_queue_wait_seconds_count', { type: 'SHELL' })).toBeGreaterThanOrEqual(2);
    expect(moved('rdev_command_run_seconds_count', { type: 'SHELL', status: 'SUCCEEDED' })).toBe(1);
    expect(moved('rdev_command_output_bytes_total')).toBeGreaterThanOrEqual('hello\n'.length);
    // The database, and the Kubernetes API by verb.
    expect(moved('rdev_db_queries_total', { outcome: 'ok' })).toBeGreaterThan(20);
    expect(moved('rdev_db_query_duration_seconds_count')).toBeGreaterThan(20);
    expect(moved('rdev_kubernetes_api_requests_total', { verb: 'exec', outcome: 'ok' })).toBeGreaterThan(0);
    expect(moved('rdev_kubernetes_api_request_duration_seconds_count', { verb: 'exec' })).toBeGreaterThan(0);
    expect(value(after, 'rdev_kubernetes_api_circuit_state', { state: 'closed' })).toBe(1);
    // Webhooks: each queued command's event failed once and waits for its retry.
    expect(moved('rdev_webhook_deliveries_total', { outcome: 'retrying' })).toBe(3);
    expect(moved('rdev_webhook_attempt_duration_seconds_count', { outcome: 'retrying' })).toBe(3);
    expect(value(after, 'rdev_webhook_backlog')).toBe(3);
    // The event loop.
    expect(after.has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect(value(after, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);

    // The Kubernetes API fails: the breaker opens and says so.
    t.fake!.faults.http500 = true;
    try {
      for (let i = 0; i < 3; i++) await t.graphql('mutation { refreshProjects { name } }', {}, t.auth());
      const broken = await scrapeUntil(
        (s) => value(s, 'rdev_kubernetes_api_circuit_state', { state: 'open' }) === 1,
        'the circuit breaker open',
      );
      expect(value(broken, 'rdev_kubernetes_api_circuit_state', { state: 'closed' })).toBe(0);
      expect(
        sum(broken, 'rdev_kubernetes_api_requests_total', { outcome: 'server_error' }),
      ).toBeGreaterThanOrEqual(2);
    } finally {
      t.fake!.faults.http500 = false;
    }
  });

  it('keeps operation-name labels bounded after 1,000 distinct unknown names', async () => {
    const names = Array.from(
      { length: 1000 },
      (_, i) => `Unknown${i}_${Math.random().toString(36).slice(2, 8)}`,
    );
    // Straight into the app's GraphQL handler (every plugin runs, authentication included).
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(
        names.slice(i, i + 50).map(async (name) => {
          const response = await t.app.yoga.fetch(
            new Request('http://rdev.test/graphql', {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminKey}` },
              body: JSON.stringify({ query: `query ${name} { __typename }` }),
            }),
            { clientIp: '127.0.0.1', requestId: `names-${name}`, principal: null },
          );
          expect(response.status).toBe(200);
        }),
      );
    }
    const s = await scrape();
    const labelValues = (metric: string) =>
      new Set(
        [...s.keys()]
          .filter((k) => k.startsWith(`${metric}{`))
          .map((k) => /operation_name="([^"]*)"/.exec(k)?.[1])
          .filter((v): v is string => v !== undefined),
      );
    const counted = labelValues('rdev_graphql_operations_total');
    expect(counted.size).toBeLessThanOrEqual(210);
    expect(labelValues('rdev_graphql_operation_duration_seconds_bucket').size).toBeLessThanOrEqual(210);
    // Nothing was lost: the names past the bound are counted as "other".
    const unknown = names.filter((n) => counted.has(n)).length;
    expect(sum(s, 'rdev_graphql_operations_total', { operation_name: 'other' })).toBe(1000 - unknown);
    expect(unknown).toBeLessThanOrEqual(200);
  });
});
