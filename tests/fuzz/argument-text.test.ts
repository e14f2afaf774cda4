import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/graphql/schema.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { DATABASE_KINDS } from '../support/test-databases.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** Strings a store must never see: NUL anywhere. */
const BAD_TEXT = ['a\u0000b', '\u0000', 'demo\u0000'];
/** Ids that are not ids of anything: NUL, undecodable, and local ids of the wrong shape. */
const BAD_IDS = [
  '\u0000',
  'not base64 at all',
  b64('ApiKey:not-a-uuid'),
  b64('ApiKey:\u0000'),
  b64('Command:1; DROP TABLE commands'),
  b64('Command:00000000-0000-0000-0000-00000000000\u0000'),
  b64('Webhook:'),
  b64('WebhookDelivery:12345'),
  b64('Project:Not A Name'),
  b64('Project:demo\u0000'),
  b64(`AuditEvent:${'x'.repeat(2000)}`),
];
const BAD_JSON = [{ k: 'a\u0000b' }, { 'k\u0000': 1 }, ['\u0000']];

/** A plausible value of a type, for the arguments not under attack. */
function sample(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sample(type.ofType);
  if (isListType(type)) return [sample(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields()))
      if (isNonNullType(field.type) && field.defaultValue === undefined) out[field.name] = sample(field.type);
    return out;
  }
  switch (type.name) {
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    case 'ID':
      return b64('Command:00000000-0000-0000-0000-000000000000');
    case 'DateTime':
      return new Date(Date.now() + 3_600_000).toISOString();
    case 'JSON':
      return {};
    default:
      return 'x';
  }
}

/** Bad values for a leaf type, or none when the leaf takes no text. */
function badValues(type: GraphQLInputType): unknown[] {
  const named = getNamedType(type);
  if (!isScalarType(named)) return [];
  if (named.name === 'ID') return BAD_IDS;
  if (named.name === 'JSON') return BAD_JSON;
  if (['Int', 'Float', 'Boolean'].includes(named.name)) return [];
  return BAD_TEXT;
}

/**
 * Every way to put a bad value in one text leaf of an argument (through input objects and lists),
 * the rest of the argument plausible.
 */
function attacks(type: GraphQLInputType, depth = 0): unknown[] {
  if (depth > 5) return [];
  if (isNonNullType(type)) return attacks(type.ofType, depth);
  if (isListType(type)) return attacks(type.ofType, depth + 1).map((v) => [v]);
  if (isInputObjectType(type)) {
    const base = sample(type) as Record<string, unknown>;
    return Object.values(type.getFields()).flatMap((field) =>
      attacks(field.type, depth + 1).map((v) => ({ ...base, [field.name]: v })),
    );
  }
  return badValues(type);
}

interface Case {
  operation: 'query' | 'mutation';
  field: GraphQLField<unknown, unknown>;
  arg: GraphQLArgument;
  value: unknown;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const [operation, root] of [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const) {
    for (const field of Object.values(root?.getFields() ?? {}))
      for (const arg of field.args)
        for (const value of attacks(arg.type)) out.push({ operation, field, arg, value });
  }
  return out;
}

function request({ operation, field, arg, value }: Case) {
  const args = field.args.filter((a) => a === arg || (isNonNullType(a.type) && a.defaultValue === undefined));
  const variables = Object.fromEntries(args.map((a) => [a.name, a === arg ? value : sample(a.type)]));
  const defs = args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const call = args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
  const selection = isCompositeType(getNamedType(field.type)) ? ' { __typename }' : '';
  return {
    query: `${operation}${defs ? ` (${defs})` : ''} { ${field.name}${call}${selection} }`,
    variables,
  };
}

describe.each(DATABASE_KINDS)('NUL characters and malformed ids in every argument, on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  const expectNoInternalError = (
    what: string,
    res: { status: number; body: { errors?: { message: string; extensions?: { code?: string } }[] } },
  ) => {
    expect(res.status, what).toBeLessThan(500);
    for (const error of res.body.errors ?? []) {
      expect(error.extensions?.code, `${what}: ${error.message}`).not.toBe('INTERNAL_SERVER_ERROR');
      expect(error.message, what).not.toBe('Unexpected error.');
    }
  };

  it('answers every root field of the schema with a coded error, never an internal one', async () => {
    const all = cases();
    // Every root field that takes text or ids is reached.
    expect(new Set(all.map((c) => c.field.name)).size).toBeGreaterThan(20);
    for (const c of all) {
      const { query, variables } = request(c);
      const res = await t.graphql(query, variables, t.auth());
      expectNoInternalError(`${query} ${JSON.stringify(variables)}`, res);
    }
  });

  it('refuses NUL in a literal argument of a query as VALIDATION_FAILED, naming the argument', async () => {
    for (const query of [
      '{ commands(filter: { projectName: "demo\\u0000" }) { edges { cursor } } }',
      '{ auditEvents(filter: { action: "\\u0000" }) { edges { cursor } } }',
      'query($p: String = "\\u0000") { project(name: $p) { id } }',
    ]) {
      const res = await t.graphql(query, {}, t.auth());
      expectNoInternalError(query, res);
      expect(res.body.errors?.[0]?.extensions?.code, query).toBe('VALIDATION_FAILED');
      expect(res.body.errors?.[0]?.message, query).toMatch(/NUL/);
    }
  });

  it('answers NUL in a mutation input with its ValidationFailedError, naming the field', async () => {
    const res = await t.graphql(
      `mutation { createApiKey(input: { name: "a\\u0000b", scopes: [PROJECTS_READ] }) {
        __typename ... on ValidationFailedError { code issues { path message } } } }`,
      {},
      t.auth(),
    );
    expect(res.body.data.createApiKey).toMatchObject({
      __typename: 'ValidationFailedError',
      code: 'VALIDATION_FAILED',
      issues: [{ path: 'name', message: expect.stringContaining('NUL') }],
    });
  });
});
