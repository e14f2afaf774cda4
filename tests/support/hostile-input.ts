/**
 * fast-check arbitraries for hostile input: GraphQL documents that are almost right (so they get
 * past the parser and into validation and execution), outright garbage, and the strings that break
 * naive code (NUL, lone surrogates, huge numbers, path tricks).
 */
import fc from 'fast-check';

/** Strings that have broken parsers, databases and path joins somewhere. */
export const NASTY_STRINGS = [
  '',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\uffff',
  '😀'.repeat(3),
  '../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  "'; DROP TABLE commands; --",
  '$(id)',
  '`id`',
  '\r\n\r\nHTTP/1.1 200 OK',
  '<script>alert(1)</script>',
  'x'.repeat(5000),
  '9'.repeat(400),
  '-1',
  '1e309',
  'NaN',
  '__proto__',
  'constructor',
  'Q29tbWFuZDo=',
  'UHJvamVjdDpkZW1v',
];

export const nastyString = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 20 }),
);

const FIELD_NAMES = [
  'node',
  'nodes',
  'id',
  'ids',
  'viewer',
  'projects',
  'project',
  'name',
  'status',
  'commands',
  'command',
  'output',
  'seq',
  'data',
  'edges',
  'node',
  'cursor',
  'pageInfo',
  'hasNextPage',
  'apiKeys',
  'webhooks',
  'deliveries',
  'auditEvents',
  'queue',
  'serverInfo',
  'version',
  'claudeConfigItems',
  'claudeConfigItem',
  '__typename',
  '__schema',
  '__type',
  'types',
  'fields',
  'ofType',
  'heartbeat',
  'commandOutput',
  'commandUpdated',
  'projectUpdated',
  'cancelCommand',
  'revokeApiKey',
  'deleteWebhook',
  'updateApiKey',
  'refreshProjects',
  'doesNotExist',
];

const ARGUMENTS = [
  'first: 100',
  'first: 0',
  'first: -1',
  'first: 2147483647',
  'first: 2147483648',
  'after: "x"',
  'after: "\\u0000"',
  'id: "Q29tbWFuZDox"',
  'id: "not base64 at all"',
  'id: $id',
  'ids: $ids',
  'ids: ["UHJvamVjdDpkZW1v", "", "\\ud800"]',
  'name: "demo"',
  'name: "../demo"',
  'name: $name',
  'kind: COMMAND',
  'kind: NOPE',
  'commandId: "Q29tbWFuZDox"',
  'commandId: $id',
  'after: -5',
  'count: 2',
  'intervalSeconds: 0',
  'input: { id: $id }',
  'input: {}',
  'input: $input',
  'filter: { statuses: [RUNNING] }',
  'includeRevoked: true',
  'x: 1',
];

/** A selection set built from the schema's own names, nested a few levels. */
const selectionSet: fc.Arbitrary<string> = fc.letrec<{ set: string; sel: string }>((tie) => ({
  sel: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...FIELD_NAMES),
    fc
      .tuple(
        fc.option(fc.constantFrom('a', 'b', '__schema', 'alias_1'), { nil: undefined }),
        fc.constantFrom(...FIELD_NAMES),
        fc.array(fc.constantFrom(...ARGUMENTS), { maxLength: 2 }),
        fc.option(fc.constantFrom('@include(if: true)', '@skip(if: $b)', '@deprecated', '@nope'), {
          nil: undefined,
        }),
        tie('set'),
      )
      .map(
        ([alias, name, args, directive, set]) =>
          `${alias ? `${alias}: ` : ''}${name}${args.length ? `(${args.join(', ')})` : ''} ${directive ?? ''} ${set}`,
      ),
    fc.constantFrom('...F', '...G', '...__schema', '... on Query { __typename }', '... on Project { name }'),
  ),
  set: fc.array(tie('sel'), { minLength: 1, maxLength: 4 }).map((s) => `{ ${s.join(' ')} }`),
})).set;

const FRAGMENTS = [
  'fragment F on Query { __typename }',
  'fragment F on Query { ...F }',
  'fragment F on Query { ...G } fragment G on Query { ...F }',
  'fragment G on Project { name commands { edges { node { id } } } }',
  'fragment __schema on Query { projects { edges { node { name } } } }',
  'fragment F on Nope { x }',
];

/** Documents close enough to the schema to reach validation and, often, execution. */
export const nearlyValidDocument = fc
  .tuple(
    fc.constantFrom(
      '',
      'query',
      'query Q($id: ID!, $ids: [ID!]!, $name: String!, $b: Boolean!)',
      'mutation',
      'subscription',
      'query Q',
      'mutation M($input: RevokeApiKeyInput!, $id: ID!)',
    ),
    selectionSet,
    fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 2 }),
  )
  .map(([head, set, fragments]) => `${head} ${set} ${fragments.join(' ')}`);

const TOKENS = [
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  ':',
  '...',
  '$',
  '$id',
  '@',
  '=',
  '|',
  '&',
  '!',
  ',',
  '"',
  '"""',
  '#',
  '\n',
  'query',
  'mutation',
  'subscription',
  'fragment',
  'on',
  'true',
  'null',
  '1e99999',
  '-0',
  '0x10',
  '\u0000',
  '\ud800',
  '\ufeff',
  ...FIELD_NAMES,
];

/** Token soup: mostly GraphQL's own punctuation and names, in any order. */
export const tokenSoupDocument = fc
  .array(fc.oneof(fc.constantFrom(...TOKENS), nastyString), { maxLength: 60 })
  .map((tokens) => tokens.join(' '));

export const anyDocument = fc.oneof(
  nearlyValidDocument,
  tokenSoupDocument,
  fc.string({ unit: 'binary', maxLength: 200 }),
);

const hostileId = fc.oneof(
  fc.constantFrom('Q29tbWFuZDox', 'UHJvamVjdDpkZW1v', 'Rm9vOjE=', ''),
  nastyString,
  nastyString.map((s) => Buffer.from(`Command:${s}`).toString('base64')),
  nastyString.map((s) => Buffer.from(`Project:${s}`).toString('base64')),
);

/** Variables for the names the documents use, of the right and the wrong shapes. */
export const anyVariables = fc.oneof(
  fc.record(
    {
      id: fc.oneof(hostileId, fc.jsonValue({ maxDepth: 2 })),
      ids: fc.oneof(fc.array(hostileId, { maxLength: 5 }), fc.jsonValue({ maxDepth: 2 })),
      name: fc.oneof(nastyString, fc.jsonValue({ maxDepth: 2 })),
      b: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
      input: fc.jsonValue({ maxDepth: 3 }),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 3 }),
);
