import { print } from 'graphql';
import { serverAudits } from 'graphql-http';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ServerInfoDocument, type ServerInfoQuery } from '../support/generated/graphql.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('HTTP server', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite');
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers liveness, readiness and metrics', async () => {
    const health = await fetch(`${t.url}/health`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${t.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { database: 'ok' } });
    await t.graphql('query Info { serverInfo { version } }');
    const metrics = await fetch(`${t.url}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(/^# HELP /m);
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).toMatch(/rdev_http_requests_total\{method="GET",route="\/health",status="2xx"\} 1/);
    expect(text).toMatch(
      /rdev_graphql_operations_total\{operation_name="Info",operation_type="query",outcome="ok"\} 1/,
    );
    expect(text).toContain('rdev_http_request_duration_seconds_bucket');
  });

  it('serves GraphiQL whose scripts all come from rdev itself', async () => {
    const res = await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<div id="root">');
    const srcs = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    const external = srcs.filter((s) => /^(https?:)?\/\//.test(s));
    expect(external).toEqual([]);
    // GraphiQL itself is inlined (no CDN), and nothing is imported from another host at run time.
    expect(html).toContain('GraphiQL');
    expect(html.length).toBeGreaterThan(500_000);
    expect(html).not.toMatch(/import\(\s*["'`](https?:)?\/\//);
  });

  it('refuses cross-site requests without a header a browser on another site cannot send', async () => {
    const query = encodeURIComponent('{ serverInfo { version } }');
    const attempts = [
      fetch(`${t.url}/graphql?query=${query}`),
      fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `query=${query}`,
      }),
      fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query: '{ serverInfo { version } }' }),
      }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({
        errors: [{ extensions: { code: 'FORBIDDEN' }, message: expect.stringContaining('x-graphql-csrf') }],
      });
    }
    const allowed = await fetch(`${t.url}/graphql?query=${query}`, { headers: { 'x-graphql-csrf': '1' } });
    expect(allowed.status).toBe(200);
  });

  it('gives every refusal of a malformed request a code', async () => {
    // Through yoga.fetch, without a socket: the refusals are yoga's own.
    const post = async (body: string) => {
      const res = await t.app.yoga.fetch(
        'http://localhost/graphql',
        { method: 'POST', headers: { 'content-type': 'application/json', 'x-graphql-csrf': '1' }, body },
        { clientIp: '127.0.0.1', requestId: 'malformed-request', principal: null },
      );
      return (await res.json()) as { errors: { extensions?: { code?: string } }[] };
    };
    const bodies = [
      'not json',
      '{"query": 5}',
      '{}',
      JSON.stringify({ query: 'query($n: Int!) { projects(first: $n) { totalCount } }' }),
      JSON.stringify({
        query: 'query($n: Int) { projects(first: $n) { totalCount } }',
        variables: { n: 'x' },
      }),
      JSON.stringify({ query: '{ serverInfo { ' }),
      JSON.stringify({ query: '{ nope }' }),
    ];
    for (const body of bodies) {
      const { errors } = await post(body);
      expect(errors.length, body).toBeGreaterThan(0);
      for (const e of errors) expect(e.extensions?.code, body).toMatch(/^[A-Z_]+$/);
    }
  });

  it('answers a query and maps an unknown route to a JSON 404', async () => {
    const { status, body } = await t.graphql<ServerInfoQuery>(print(ServerInfoDocument));
    expect(status).toBe(200);
    expect(body.data?.serverInfo).toMatchObject({ runtime: 'LOCAL', database: 'PGLITE', version: '0.1.0' });
    const missing = await fetch(`${t.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('refuses bodies over the size limit with 413 before parsing them', async () => {
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ serverInfo { version } } #${'x'.repeat(2 * 1024 * 1024)}` }),
    });
    expect(res.status).toBe(413);
    // /graphql answers in the GraphQL error shape, with the same stable code.
    expect(((await res.json()) as any).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('passes every MUST audit of graphql-http', async () => {
    const audits = serverAudits({ url: `${t.url}/graphql` });
    const results = await Promise.all(audits.map((a) => a.fn()));
    const failedMust = results.filter((r) => r.name.startsWith('MUST') && r.status !== 'ok');
    expect(failedMust.map((r) => `${r.name}: ${'reason' in r ? r.reason : ''}`)).toEqual([]);
    expect(results.filter((r) => r.name.startsWith('MUST')).length).toBeGreaterThan(10);
  });

  it('completes a subscription over graphql-ws', async () => {
    const client = createWsClient({
      url: `${t.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      lazy: true,
    });
    const values: unknown[] = [];
    for await (const result of client.iterate({
      query: 'subscription { heartbeat(count: 3, intervalSeconds: 1) }',
    })) {
      values.push(result.data);
    }
    await client.dispose();
    expect(values).toHaveLength(3);
    expect(values[0]).toMatchObject({ heartbeat: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  });

  it('completes a subscription over GraphQL over SSE', async () => {
    const client = createSseClient({ url: `${t.url}/graphql`, singleConnection: false });
    const values: unknown[] = [];
    for await (const result of client.iterate({
      query: 'subscription { heartbeat(count: 2, intervalSeconds: 1) }',
    })) {
      values.push(result.data);
    }
    client.dispose();
    expect(values).toHaveLength(2);
  });
});
