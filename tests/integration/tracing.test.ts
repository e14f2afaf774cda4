import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandTestApp, plainId, startCommandApp } from '../support/command-test-app.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { DATABASE_KINDS } from '../support/test-databases.js';
import { eventually } from '../support/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const RUN_SHELL = `mutation RunTraced($input: RunShellInput!) {
  runShell(input: $input) { __typename ... on RunCommandPayload { command { id status } } ... on Error { code message } } }`;

describe.each(DATABASE_KINDS)('tracing on %s', (kind) => {
  const exporter = new InMemorySpanExporter();
  let t: TestApp;
  let dir: string;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdev-trace-'));
    mkdirSync(join(dir, 'demo'));
    receiver = await startWebhookReceiver();
    t = await startTestApp(
      kind,
      {
        RDEV_WORKSPACES_DIR: dir,
        RDEV_DISPATCH_INTERVAL_MS: '100',
        RDEV_TRACE_GRAPHQL_DOCUMENT_BYTES: '48',
        RDEV_WEBHOOK_ALLOW_PRIVATE: 'true',
        RDEV_WEBHOOK_POLL_INTERVAL_MS: '50',
      },
      { spanExporter: exporter },
    );
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('follows one runShell from the request through GraphQL, the database, the queue and the runtime to its end', async () => {
    // The caller's own trace: rdev's spans must continue it.
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const { body } = await t.graphql(
      RUN_SHELL,
      { input: { projectName: 'demo', script: 'echo "tp=$TRACEPARENT"', env: { GREETING: 'hello' } } },
      { ...t.auth(), traceparent: `00-${traceId}-${callerSpanId}-01` },
    );
    expect(body.data.runShell.__typename).toBe('RunCommandPayload');
    const commandId = plainId(body.data.runShell.command.id);

    const inTrace = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const one = (name: string) => {
      const found = inTrace().filter((s) => s.name === name);
      expect(found, `spans named "${name}"`).toHaveLength(1);
      return found[0]!;
    };
    // The run span ends last, after the finish was recorded.
    await eventually(() => inTrace().find((s) => s.name === 'command run'));
    const spans = inTrace();
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

    // The request: a server span whose parent is the caller's span.
    const http = one('POST /graphql');
    expect(http.kind).toBe(SpanKind.SERVER);
    expect(parentOf(http)).toBe(callerSpanId);
    expect(http.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/graphql',
      'url.path': '/graphql',
      'http.response.status_code': 200,
    });

    // GraphQL, with the semantic convention attributes and a document cut to the configured size.
    const graphql = one('mutation RunTraced');
    expect(parentOf(graphql)).toBe(http.spanContext().spanId);
    expect(graphql.attributes['graphql.operation.name']).toBe('RunTraced');
    expect(graphql.attributes['graphql.operation.type']).toBe('mutation');
    const document = String(graphql.attributes['graphql.document']);
    expect(document.startsWith('mutation RunTraced')).toBe(true);
    expect(Buffer.byteLength(document)).toBeLessThanOrEqual(48);

    // The database: the insert of the command, as a client span under the GraphQL span.
    const insert = spans.find(
      (s) =>
        s.attributes['db.operation.name'] === 'INSERT' && s.attributes['db.collection.name'] === 'commands',
    );
    expect(insert).toBeDefined();
    expect(insert!.kind).toBe(SpanKind.CLIENT);
    expect(insert!.attributes['db.system.name']).toBe('postgresql');
    expect(parentOf(insert!)).toBe(graphql.spanContext().spanId);

    // The queue: the claim continues the request's trace (its context was stored with the command).
    const claim = one('queue claim');
    expect(parentOf(claim)).toBe(graphql.spanContext().spanId);
    expect(claim.attributes['rdev.command.id']).toBe(commandId);
    expect(claim.attributes['rdev.queue.wait_seconds']).toBeGreaterThanOrEqual(0);

    const run = one('command run');
    expect(parentOf(run)).toBe(claim.spanContext().spanId);
    expect(run.attributes).toMatchObject({
      'rdev.command.id': commandId,
      'rdev.command.type': 'SHELL',
      'rdev.project.name': 'demo',
      'rdev.command.status': 'SUCCEEDED',
      'process.exit.code': 0,
    });

    const start = one('runtime start');
    expect(parentOf(start)).toBe(run.spanContext().spanId);
    expect(start.attributes['rdev.run.state']).toMatch(/running|exited/);

    const finish = one('command finish');
    expect(parentOf(finish)).toBe(run.spanContext().spanId);
    expect(finish.attributes['rdev.command.status']).toBe('SUCCEEDED');
    const finishWrites = spans.filter(
      (s) => parentOf(s) === finish.spanContext().spanId && s.attributes['db.operation.name'] === 'UPDATE',
    );
    expect(finishWrites.length).toBeGreaterThan(0);

    // Connected: every span's parent is in the trace, except the request's, which is the caller's.
    for (const s of spans) {
      if (s === http) continue;
      expect(byId.has(parentOf(s) ?? ''), `parent of "${s.name}"`).toBe(true);
    }
    // The follow loop stores output without a span per batch: no database span under the run itself.
    expect(
      spans
        .filter((s) => parentOf(s) === run.spanContext().spanId)
        .map((s) => s.name)
        .sort(),
    ).toEqual(['command finish', 'runtime start']);

    // The process got the trace: its TRACEPARENT is the runtime start span.
    const { body: read } = await t.graphql(
      `query($id: ID!) { command(id: $id) { status output(after: 0, first: 50) { stream data } } }`,
      { id: body.data.runShell.command.id },
      t.auth(),
    );
    const stdout = read.data.command.output
      .filter((e: { stream: string }) => e.stream === 'STDOUT')
      .map((e: { data: string }) => e.data)
      .join('');
    expect(stdout).toBe(`tp=00-${traceId}-${start.spanContext().spanId}-01\n`);
  });

  it('sends webhook attempts in the trace of what caused them, with traceparent only to webhooks that asked for it', async () => {
    const create = `mutation($input: CreateWebhookInput!) {
      createWebhook(input: $input) { ... on CreateWebhookPayload { webhook { sendTraceContext } } }
    }`;
    const { body: created } = await t.graphql(
      create,
      {
        input: {
          url: `${receiver.origin}/hook?token=private`,
          events: ['COMMAND_SUCCEEDED'],
          sendTraceContext: true,
        },
      },
      t.auth(),
    );
    expect(created.data.createWebhook.webhook.sendTraceContext).toBe(true);
    const { body: plain } = await t.graphql(
      create,
      { input: { url: `${receiver.origin}/plain`, events: ['COMMAND_SUCCEEDED'] } },
      t.auth(),
    );
    expect(plain.data.createWebhook.webhook.sendTraceContext).toBe(false);
    const traceId = randomBytes(16).toString('hex');
    await t.graphql(
      RUN_SHELL,
      { input: { projectName: 'demo', argv: ['true'] } },
      { ...t.auth(), traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    );
    const received = await receiver.waitFor(2, 15_000);
    const delivered = received.find((r) => r.path.startsWith('/hook'));
    // A receiver is told nothing about rdev's traces unless its webhook opted in.
    expect(received.find((r) => r.path === '/plain')?.headers.traceparent).toBeUndefined();
    const header = String(delivered!.headers.traceparent);
    expect(header).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const spans = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    // The receiver's parent is the client span, itself under the attempt, under the command's finish.
    const post = await eventually(() =>
      spans().find(
        (s) =>
          s.name === 'POST' && s.kind === SpanKind.CLIENT && s.spanContext().spanId === header.split('-')[2],
      ),
    );
    const attempt = await eventually(() =>
      spans().find(
        (s) => s.name === 'webhook attempt' && s.spanContext().spanId === post.parentSpanContext?.spanId,
      ),
    );
    const finish = spans().find((s) => s.name === 'command finish');
    expect(attempt.parentSpanContext?.spanId).toBe(finish?.spanContext().spanId);
    expect(attempt.attributes).toMatchObject({
      'rdev.webhook.event_type': 'command.succeeded',
      'rdev.webhook.outcome': 'succeeded',
    });
    expect(post!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'server.address': '127.0.0.1',
      'http.response.status_code': 200,
    });
    // The receiver's path and query (often a secret of its own) stay out of the span.
    expect(JSON.stringify(post!.attributes)).not.toContain('token=private');
  });

  it('starts a new trace when the caller sends none, and ignores a malformed traceparent', async () => {
    exporter.reset();
    const { status } = await t.graphql(
      'query Who { viewer { clientIp } }',
      {},
      {
        ...t.auth(),
        traceparent: '00-not-a-trace-01',
      },
    );
    expect(status).toBe(200);
    const http = await eventually(() => exporter.getFinishedSpans().find((s) => s.name === 'POST /graphql'));
    expect(http.parentSpanContext).toBeUndefined();
    const graphql = exporter.getFinishedSpans().find((s) => s.name === 'query Who');
    expect(graphql?.spanContext().traceId).toBe(http.spanContext().traceId);
    expect(graphql?.attributes['graphql.operation.type']).toBe('query');
  });

  it('sends no span for health probes and metric scrapes', async () => {
    exporter.reset();
    for (const path of ['/health', '/ready', '/metrics'])
      expect((await fetch(`${t.url}${path}`)).status).toBe(200);
    await t.graphql('query Marker { viewer { clientIp } }', {}, t.auth());
    await eventually(() => exporter.getFinishedSpans().find((s) => s.name === 'POST /graphql'));
    const names = exporter.getFinishedSpans().map((s) => s.name);
    expect(names.filter((n) => /health|ready|metrics/.test(n))).toEqual([]);
  });
});

describe('tracing on the Kubernetes runtime', () => {
  const exporter = new InMemorySpanExporter();
  let t: CommandTestApp;
  beforeAll(async () => {
    t = await startCommandApp(
      'kubernetes',
      { RDEV_DISPATCH_INTERVAL_MS: '100' },
      {
        overrides: { spanExporter: exporter },
      },
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('puts each Kubernetes API call of a command under the runtime span that made it', async () => {
    const traceId = randomBytes(16).toString('hex');
    const { body } = await t.graphql(
      RUN_SHELL,
      { input: { projectName: 'demo', script: 'echo traced' } },
      { ...t.auth(), traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    );
    expect(body.data.runShell.__typename).toBe('RunCommandPayload');
    const inTrace = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    await eventually(() => inTrace().find((s) => s.name === 'command run'));
    const spans = inTrace();
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const ancestors = (s: ReadableSpan) => {
      const names: string[] = [];
      for (
        let p = byId.get(s.parentSpanContext?.spanId ?? '');
        p;
        p = byId.get(p.parentSpanContext?.spanId ?? '')
      ) {
        names.push(p.name);
      }
      return names;
    };
    const start = spans.find((s) => s.name === 'runtime start')!;
    const execs = spans.filter((s) => s.name === 'kubernetes exec');
    expect(execs.length).toBeGreaterThan(0);
    expect(execs.filter((s) => s.parentSpanContext?.spanId === start.spanContext().spanId)).not.toHaveLength(
      0,
    );
    for (const exec of execs) {
      expect(exec.kind).toBe(SpanKind.CLIENT);
      expect(ancestors(exec)).toContain('command run');
    }
  });
});
