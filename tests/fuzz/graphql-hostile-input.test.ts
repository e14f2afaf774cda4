import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyDocument, anyVariables, nastyString } from '../support/hostile-input.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Whatever arrives at /graphql (documents, variables, bodies, headers), rdev answers with a 4xx or
 * a GraphQL error a client can act on: never a 5xx, never a masked internal error, never a crash.
 */
describe('hostile input to /graphql', () => {
  let t: TestApp;
  let dir: string;
  let keys: Record<string, string>;
  const seen = { requests: 0, statuses: new Map<number, number>() };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdev-fuzz-'));
    t = await startTestApp('pglite', {
      RDEV_WORKSPACES_DIR: dir,
      RDEV_RATE_LIMIT_PER_KEY: '10000000',
      RDEV_RATE_LIMIT_ANONYMOUS: '10000000',
    });
    const limited = await t.createKey({ scopes: ['PROJECTS_READ', 'COMMANDS_READ'], projectNames: ['demo'] });
    keys = {
      admin: t.adminKey,
      limited: limited.key,
      garbage: 'rdev_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      none: '',
    };
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const authHeader = fc.constantFrom('admin', 'limited', 'garbage', 'none');

  /** The checks every answer must pass; returns the parsed body when it is JSON. */
  async function expectNoServerError(res: Response, what: string): Promise<unknown> {
    seen.requests++;
    seen.statuses.set(res.status, (seen.statuses.get(res.status) ?? 0) + 1);
    const text = await res.text();
    if (res.status >= 500) throw new Error(`${what}: HTTP ${res.status}: ${text.slice(0, 500)}`);
    if (!(res.headers.get('content-type') ?? '').includes('json')) return null;
    const body = JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] };
    const internal = (body.errors ?? []).filter((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR');
    if (internal.length > 0) throw new Error(`${what}: masked internal error: ${text.slice(0, 500)}`);
    return body;
  }

  const post = (body: BodyInit, headers: Record<string, string>) =>
    fetch(`${t.url}/graphql`, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });

  it('answers arbitrary documents and variables over POST without a 5xx or an internal error', async () => {
    await fc.assert(
      fc.asyncProperty(anyDocument, anyVariables, authHeader, async (query, variables, who) => {
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
        };
        if (keys[who]) headers.authorization = `Bearer ${keys[who]}`;
        const res = await post(JSON.stringify({ query, variables }), headers);
        await expectNoServerError(res, `POST ${JSON.stringify(query)} ${JSON.stringify(variables)}`);
      }),
      { numRuns: 150 },
    );
  });

  it('answers arbitrary documents over GET, and refuses mutations there', async () => {
    await fc.assert(
      fc.asyncProperty(anyDocument, anyVariables, authHeader, async (query, variables, who) => {
        const url = new URL(`${t.url}/graphql`);
        url.searchParams.set('query', query);
        url.searchParams.set('variables', JSON.stringify(variables));
        const headers: Record<string, string> = { accept: 'application/json' };
        if (keys[who]) headers.authorization = `Bearer ${keys[who]}`;
        const res = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
        await expectNoServerError(res, `GET ${JSON.stringify(query)}`);
      }),
      { numRuns: 60 },
    );
    const url = new URL(`${t.url}/graphql`);
    url.searchParams.set('query', 'mutation { refreshProjects { name } }');
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${t.adminKey}`, accept: 'application/json' },
    });
    expect(res.status).toBe(405);
  });

  it('answers arbitrary bytes under any content type with a 4xx', async () => {
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=latin1',
      'application/graphql+json',
      'application/graphql',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/plain',
      'application/octet-stream',
      '',
    );
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      // JSON-looking prefixes followed by invalid UTF-8, NUL and control bytes.
      fc
        .tuple(
          fc.constantFrom('{"query":"', '{"query":"{ serverInfo { version } }","variables":', '[', '{"'),
          fc.uint8Array({ maxLength: 50 }),
        )
        .map(([prefix, tail]) => Buffer.concat([Buffer.from(prefix), Buffer.from(tail)])),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
    );
    await fc.assert(
      fc.asyncProperty(bytes, contentType, authHeader, async (body, type, who) => {
        const headers: Record<string, string> = { accept: 'application/json' };
        if (type) headers['content-type'] = type;
        if (keys[who]) headers.authorization = `Bearer ${keys[who]}`;
        const res = await post(new Uint8Array(body), headers);
        await expectNoServerError(res, `bytes ${Buffer.from(body).toString('hex').slice(0, 200)} as ${type}`);
      }),
      { numRuns: 120 },
    );
  });

  it('answers huge and deeply nested bodies with a 4xx or a plain GraphQL error', async () => {
    const json = { 'content-type': 'application/json', accept: 'application/json', ...t.auth() };
    const deepArray = `${'['.repeat(200_000)}"x"${']'.repeat(200_000)}`;
    const deepObject = `${'{"a":'.repeat(150_000)}1${'}'.repeat(150_000)}`;
    const cases: [string, string, number[]][] = [
      [
        'variables nested 200,000 arrays deep',
        `{"query":"query($ids: [ID!]!) { nodes(ids: $ids) { id } }","variables":{"ids":${deepArray}}}`,
        [200, 400],
      ],
      [
        'a JSON scalar nested 150,000 objects deep',
        `{"query":"mutation($e: JSON) { runShell(input: { projectName: \\"demo\\", argv: [\\"true\\"], env: $e }) { __typename } }","variables":{"e":${deepObject}}}`,
        [200],
      ],
      [
        'extensions nested 150,000 deep',
        `{"query":"{ serverInfo { version } }","extensions":${deepObject}}`,
        [200, 400],
      ],
      [
        'a body just over the limit',
        JSON.stringify({ query: `{ serverInfo { version } } #${'x'.repeat(1024 * 1024)}` }),
        [413],
      ],
      [
        'a selection set nested 5,000 levels deep',
        JSON.stringify({ query: `${'{ a '.repeat(5000)}${'}'.repeat(5000)}` }),
        [200, 400],
      ],
      [
        '100,000 aliases',
        JSON.stringify({
          query: `{ ${Array.from({ length: 100_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`,
        }),
        [200, 400, 413],
      ],
      [
        'a 900 kB string argument',
        JSON.stringify({ query: `{ project(name: "${'x'.repeat(900_000)}") { id } }` }),
        [200, 400],
      ],
      [
        'a 900 kB variable',
        JSON.stringify({
          query: 'query($n: String!) { project(name: $n) { id } }',
          variables: { n: 'é'.repeat(450_000) },
        }),
        [200],
      ],
      [
        '10,000 ids for nodes',
        JSON.stringify({
          query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
          variables: {
            ids: Array.from({ length: 10_000 }, (_, i) => Buffer.from(`Project:p${i}`).toString('base64')),
          },
        }),
        [200],
      ],
      [
        'a batch of operations',
        JSON.stringify([{ query: '{ serverInfo { version } }' }, { query: '{ viewer { name } }' }]),
        [400],
      ],
      [
        'a NUL inside the query string',
        JSON.stringify({ query: '{ serverInfo\u0000 { version } }' }),
        [200, 400],
      ],
      [
        'lone surrogates in a variable',
        JSON.stringify({
          query: 'query($n: String!) { project(name: $n) { id } }',
          variables: { n: '\ud800\udfff\ud800' },
        }),
        [200],
      ],
    ];
    for (const [what, body, expected] of cases) {
      const res = await post(body, json);
      const parsed = (await expectNoServerError(res, what)) as { errors?: unknown[] } | null;
      expect({ what, status: res.status }).toEqual({ what, status: expect.toBeOneOf(expected) });
      if (res.status === 200 && what.includes('nodes'))
        expect(JSON.stringify(parsed)).toContain('VALIDATION_FAILED');
    }
  });

  it('survives bodies that stop halfway or lie about their length, and closes connections it did not read to the end', async () => {
    const { port } = new URL(t.url);
    // A fresh connection per request: an unread body must not be taken for the next request.
    const raw = (headers: Record<string, string>, body: Buffer | string, end = true) =>
      new Promise<{ status: number; connection?: string }>((resolve) => {
        const req = httpRequest(
          { host: '127.0.0.1', port: Number(port), path: '/graphql', method: 'POST', headers, agent: false },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, connection: res.headers.connection });
          },
        );
        req.on('error', () => resolve({ status: -1 }));
        req.write(body);
        if (end) req.end();
        else setTimeout(() => req.destroy(), 300);
      });
    const json = { 'content-type': 'application/json' };
    // Gives up halfway: no answer, and nothing breaks.
    expect(
      await raw({ ...json, 'content-length': '100' }, '{"query":"{ serverInfo { version } }"}', false),
    ).toEqual({
      status: -1,
    });
    // Announces too much: 413 at once, and the connection ends (its body is never read).
    expect(await raw({ ...json, 'content-length': '99999999999' }, '{}')).toEqual({
      status: 413,
      connection: 'close',
    });
    // Streams too much: 413 (or the cut is seen while still writing).
    const streamed = await raw({ ...json, 'transfer-encoding': 'chunked' }, Buffer.alloc(1536 * 1024, 0x20));
    expect(streamed.status).toBeOneOf([413, -1]);
    if (streamed.status === 413) expect(streamed.connection).toBe('close');
    expect((await raw(json, '{"query":"{ serverInfo { version } }"}')).status).toBe(200);
  });

  it('answers nasty strings in every place a name or id goes', async () => {
    const fields = [
      ['query($v: String!) { project(name: $v) { id } }', 'v'],
      ['query($v: ID!) { command(id: $v) { id } }', 'v'],
      ['query($v: ID!) { node(id: $v) { id } }', 'v'],
      ['query($v: String!) { commands(first: 5, after: $v) { edges { node { id } } } }', 'v'],
      ['query($v: String!) { auditEvents(first: 5, after: $v) { edges { node { id } } } }', 'v'],
      [
        'query($v: String!) { project(name: "demo") { claudeConfigItem(kind: COMMAND, name: $v) { id } } }',
        'v',
      ],
      ['mutation($v: ID!) { cancelCommand(input: { id: $v }) { __typename } }', 'v'],
      ['mutation($v: ID!) { revokeApiKey(input: { id: $v }) { __typename } }', 'v'],
      [
        'mutation($v: String!) { createWebhook(input: { url: $v, events: [COMMAND_QUEUED] }) { __typename } }',
        'v',
      ],
      [
        'mutation($v: String!) { runGit(input: { projectName: "demo", args: ["log", $v] }) { __typename } }',
        'v',
      ],
      [
        'mutation($v: String!) { createClaudeConfigItem(input: { projectName: "demo", kind: COMMAND, name: $v, content: $v }) { __typename } }',
        'v',
      ],
    ] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), nastyString, async ([query, name], value) => {
        const res = await post(JSON.stringify({ query, variables: { [name]: value } }), {
          'content-type': 'application/json',
          accept: 'application/json',
          ...t.auth(),
        });
        await expectNoServerError(res, `${query} with ${JSON.stringify(value)}`);
      }),
      { numRuns: 120 },
    );
  });

  it('resolves a well-formed id of a type that is not a Node, or of no type, to null', async () => {
    const ids = ['ServerInfo:1', 'Query:1', 'Mutation:x', 'NoSuchType:1', 'ApiKey:', ':'].map((raw) =>
      Buffer.from(raw).toString('base64'),
    );
    const res = await post(
      JSON.stringify({ query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', variables: { ids } }),
      { 'content-type': 'application/json', ...t.auth() },
    );
    const body = (await expectNoServerError(res, 'non-Node ids')) as { data?: unknown; errors?: unknown };
    expect(body).toEqual({ data: { nodes: ids.map(() => null) } });
    for (const id of ids) {
      const one = await post(
        JSON.stringify({ query: 'query($id: ID!) { node(id: $id) { id } }', variables: { id } }),
        {
          'content-type': 'application/json',
          ...t.auth(),
        },
      );
      expect(await expectNoServerError(one, id)).toEqual({ data: { node: null } });
    }
  });

  it('is still healthy and ready afterwards, and logged no unhandled error', async () => {
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
    expect((await fetch(`${t.url}/ready`)).status).toBe(200);
    const unexpected = t.logs.filter((l) => /unexpected error|unhandled|HTTP handler failed/i.test(l));
    expect(unexpected).toEqual([]);
    expect(seen.requests).toBeGreaterThan(450);
  });
});
