import fc from 'fast-check';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../support/test-app.js';

const MAX_DEPTH = 12;
const MAX_ALIASES = 30;
const MAX_DIRECTIVES = 50;

/** A path through the schema that can nest as deep as wanted: project → commands → project → … */
const PATH = ['projects', 'edges', 'node', 'commands', 'edges', 'node'];
const LOOP = ['project', 'commands', 'edges', 'node'];
const fieldAt = (i: number) => (i < PATH.length ? PATH[i]! : LOOP[(i - PATH.length) % LOOP.length]!);

type Wrap = 'plain' | 'inline' | 'named' | 'named__schema';

/**
 * A query `fields` fields deep (the leaf included, as graphql-armor counts), each level written
 * plainly, in an inline fragment, or in a named fragment (some named `__schema`, the name that
 * used to slip past depth limits).
 */
function nestedQuery(fields: number, wraps: Wrap[]): string {
  const fragments: string[] = [];
  let inner = '__typename';
  for (let i = fields - 2; i >= 0; i--) {
    const name = fieldAt(i);
    const typeOf = (j: number): string => {
      if (j === 0) return 'Query';
      const parent = fieldAt(j - 1);
      if (parent === 'edges') return fieldAt(j - 2) === 'projects' ? 'ProjectEdge' : 'CommandEdge';
      if (parent === 'node') return fieldAt(j - 3) === 'projects' ? 'Project' : 'Command';
      if (parent === 'project') return 'Project';
      return parent === 'commands' ? 'CommandConnection' : 'ProjectConnection';
    };
    // Pages of one: the cost limit counts a connection's default page size, so nested connections
    // at their defaults would be refused by cost long before they reach the depth limit.
    const page = name === 'projects' || name === 'commands' ? '(first: 1)' : '';
    const selection = `${name}${page} { ${inner} }`;
    const wrap = wraps[i % wraps.length]!;
    if (wrap === 'plain') inner = selection;
    else if (wrap === 'inline') inner = `... on ${typeOf(i)} { ${selection} }`;
    else {
      const fragment =
        wrap === 'named__schema' && !fragments.some((f) => f.includes('fragment __schema '))
          ? '__schema'
          : `L${i}`;
      fragments.push(`fragment ${fragment} on ${typeOf(i)} { ${selection} }`);
      inner = `...${fragment}`;
    }
  }
  return `query { ${inner} } ${fragments.join(' ')}`;
}

describe('graphql-armor limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', {
      RDEV_RATE_LIMIT_PER_KEY: '10000000',
      RDEV_GRAPHQL_MAX_DEPTH: String(MAX_DEPTH),
      RDEV_GRAPHQL_MAX_ALIASES: String(MAX_ALIASES),
      RDEV_GRAPHQL_MAX_DIRECTIVES: String(MAX_DIRECTIVES),
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const ask = async (query: string) => {
    const { status, body } = await t.graphql(query, {}, t.auth());
    expect(status).toBeLessThan(500);
    return body as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
  };
  const refusal = (body: { errors?: { message: string; extensions?: { code?: string } }[] }) =>
    body.errors?.[0];

  it('refuses every query deeper than the limit, however its levels are wrapped in fragments', async () => {
    const wraps = fc.array(fc.constantFrom<Wrap>('plain', 'inline', 'named', 'named__schema'), {
      minLength: 1,
      maxLength: 5,
    });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 30 }), wraps, async (fields, how) => {
        const body = await ask(nestedQuery(fields, how));
        if (fields > MAX_DEPTH) {
          // Refused before it runs: by the depth limit, or first by the cost limit (cost grows
          // with depth).
          expect(body.data, nestedQuery(fields, how)).toBeUndefined();
          expect(refusal(body)?.message).toMatch(/depth limit|cost limit/i);
          expect(refusal(body)?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
        }
        if (fields <= MAX_DEPTH && how.every((w) => w === 'plain')) {
          expect(body.errors, nestedQuery(fields, how)).toBeUndefined();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('counts aliases through fragments, however often they are spread', async () => {
    const plan = fc.record({
      direct: fc.integer({ min: 0, max: 40 }),
      fragments: fc.array(
        fc.record({ aliases: fc.integer({ min: 1, max: 12 }), spreads: fc.integer({ min: 1, max: 4 }) }),
        {
          maxLength: 3,
        },
      ),
    });
    await fc.assert(
      fc.asyncProperty(plan, async ({ direct, fragments }) => {
        const aliased = (prefix: string, n: number) =>
          Array.from({ length: n }, (_, i) => `${prefix}${i}: serverInfo { version }`).join(' ');
        // Spreads of one fragment go under different parents: equal spreads would merge.
        const spreads = fragments.flatMap((f, i) =>
          Array.from({ length: f.spreads }, (_, s) => `s${i}_${s}: serverInfo { ...A${i} }`),
        );
        const defs = fragments.map(
          (f, i) =>
            `fragment A${i} on ServerInfo { ${aliased(`f${i}_`, f.aliases).replace(/serverInfo \{ version \}/g, 'version')} }`,
        );
        const query = `{ serverInfo { version } ${aliased('d', direct)} ${spreads.join(' ')} } ${defs.join(' ')}`;
        const total = direct + fragments.reduce((n, f) => n + f.spreads * (1 + f.aliases), 0);
        const body = await ask(query);
        const aliasError = body.errors?.find((e) => /Aliases limit/.test(e.message));
        if (total > MAX_ALIASES) expect(aliasError, query).toBeDefined();
        else expect(body.errors, query).toBeUndefined();
      }),
      { numRuns: 50 },
    );
  });

  it('counts directives through fragments', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 4 }),
        async (perFragment, spreads) => {
          const directives = '__typename @include(if: true) '.repeat(perFragment);
          const query = `{ ${Array.from({ length: spreads }, (_, i) => `s${i}: serverInfo { ...D }`).join(' ')} serverInfo { version } } fragment D on ServerInfo { version ${directives} }`;
          const body = await ask(spreads === 0 ? '{ serverInfo { version } }' : query);
          const total = perFragment * spreads;
          if (total > MAX_DIRECTIVES) expect(body.errors?.[0]?.message, query).toMatch(/Directives limit/);
          else expect(body.errors, query).toBeUndefined();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses recursive fragments of any cycle length without hanging', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.boolean(), async (length, operationFirst) => {
        const defs = Array.from(
          { length },
          (_, i) => `fragment R${i} on Query { serverInfo { version } ...R${(i + 1) % length} }`,
        ).join(' ');
        const op = 'query { ...R0 }';
        const body = await ask(operationFirst ? `${op} ${defs}` : `${defs} ${op}`);
        expect(body.data).toBeUndefined();
        expect(refusal(body)?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      }),
      { numRuns: 25 },
    );
  });

  it('refuses fragment bombs, deep introspection and a fragment named __schema', async () => {
    const bomb = (n: number) =>
      `query { ...B0 } ${Array.from({ length: n }, (_, i) => `fragment B${i} on Query { ...B${i + 1} ...B${i + 1} }`).join(' ')} fragment B${n} on Query { serverInfo { version } }`;
    const cases: [string, string, RegExp][] = [
      ['2^40 expansions', bomb(40), /limit/],
      [
        'deep introspection',
        '{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }',
        /introspection depth/,
      ],
      [
        'deep __type',
        '{ __type(name: "Project") { fields { type { fields { type { fields { name } } } } } } }',
        /introspection depth/,
      ],
      [
        'a fragment named __schema',
        nestedQuery(13, ['named__schema', ...Array<Wrap>(12).fill('plain')]),
        /depth limit of 12 exceeded/,
      ],
      [
        'an alias named __schema',
        `{ __schema: ${nestedQuery(13, ['plain']).slice('query { '.length)}`,
        /depth limit of 12 exceeded, found 13/,
      ],
      ['too many tokens', `{ ${'serverInfo { version } '.repeat(600)} }`, /Token limit/],
      [
        'too costly',
        '{ projects(first: 100) { edges { node { commands(first: 100) { edges { node { id output(first: 100) { seq } } } } } } } }',
        /cost limit/i,
      ],
    ];
    for (const [what, query, expected] of cases) {
      const body = await ask(query);
      expect({ what, data: body.data ?? null }).toEqual({ what, data: null });
      expect(refusal(body)?.message, what).toMatch(expected);
      expect(refusal(body)?.extensions?.code, what).toMatch(/^GRAPHQL_(VALIDATION|PARSE)_FAILED$/);
    }
    // The standard introspection query (GraphiQL, codegen) still works.
    const { getIntrospectionQuery } = await import('graphql');
    expect((await ask(getIntrospectionQuery())).errors).toBeUndefined();
  });

  it('applies the same limits to subscriptions over graphql-ws', async () => {
    const client = createClient({
      url: `${t.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${t.adminKey}` },
      retryAttempts: 0,
    });
    try {
      // commandUpdated, then project → commands → edges → node → project … down to the 13th level.
      const chain = ['project', 'commands', 'edges', 'node'];
      let inner = 'id';
      for (let i = MAX_DEPTH - 2; i >= 0; i--) inner = `${chain[i % chain.length]} { ${inner} }`;
      const deep = `subscription { commandUpdated { ${inner} } }`;
      const result = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: deep },
          { next: resolve, error: resolve, complete: () => resolve('complete') },
        );
      });
      expect(JSON.stringify(result)).toMatch(/depth limit/);
    } finally {
      await client.dispose();
    }
  });
});
