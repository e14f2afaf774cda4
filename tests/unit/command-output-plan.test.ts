import { execute, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { OutputEvent } from '../../src/domain/command.js';
import { planCommandOutput } from '../../src/graphql/command-output-plan.js';
import { schema } from '../../src/graphql/schema.js';

const at = new Date('2026-11-27T12:34:56.789Z');
const EVENTS: OutputEvent[] = [
  {
    commandId: 'c',
    seq: 1,
    stream: 'STDOUT',
    data: 'line "1" é€😀\n\u0000',
    bytes: null,
    at,
    claude: null,
    end: null,
  },
  {
    commandId: 'c',
    seq: 2,
    stream: 'STDOUT',
    data: '\uFFFDa\uFFFD',
    bytes: new Uint8Array([0xff, 0x61, 0x00]),
    at,
    claude: null,
    end: null,
  },
  {
    commandId: 'c',
    seq: 3,
    stream: 'STDERR',
    data: '',
    bytes: null,
    at,
    claude: { type: 'assistant', message: { content: [{ text: 'hi' }] } },
    end: null,
  },
  {
    commandId: 'c',
    seq: 4,
    stream: 'SYSTEM',
    data: 'ended',
    bytes: null,
    at,
    claude: null,
    end: { status: 'FAILED', exitCode: null, signal: 'SIGTERM', error: 'ended by SIGTERM' },
  },
];

/** What a GraphQL execution of the document answers for one event. */
function executed(query: string, event: OutputEvent) {
  const result = execute({
    schema,
    document: parse(query),
    // The subscription field resolves each event to itself: the event is the root value.
    rootValue: event,
    variableValues: { id: 'x' },
    contextValue: { principal: { kind: 'system', component: 'test', requestId: 'r' } },
  });
  return JSON.stringify(result);
}

describe('planned commandOutput results', () => {
  const planned = [
    'subscription { commandOutput(commandId: "x") { seq stream data dataBase64 at claude end { status exitCode signal error } } }',
    `subscription Named($id: ID!) { out: commandOutput(commandId: $id, after: 2) {
       __typename n: seq seq data when: at e: end { __typename error status } seq } }`,
    'subscription { commandOutput(commandId: "x") { end { exitCode } data } }',
    'subscription { commandOutput(commandId: "x") { b: dataBase64 data dataBase64 } }',
  ];

  it.each(planned)('are byte for byte what execution answers: %s', (query) => {
    const plan = planCommandOutput(schema, parse(query));
    expect(plan).not.toBeNull();
    for (const event of EVENTS) expect(JSON.stringify(plan!(event))).toBe(executed(query, event));
  });

  it.each([
    'subscription { commandOutput(commandId: "x") { ... on CommandOutputEvent { seq } } }',
    'subscription { commandOutput(commandId: "x") { ...F } } fragment F on CommandOutputEvent { seq }',
    'subscription($b: Boolean!) { commandOutput(commandId: "x") { seq data @include(if: $b) } }',
    'subscription { commandOutput(commandId: "x") @skip(if: false) { seq } }',
    'subscription { commandOutput(commandId: "x") { end { status } end { exitCode } } }',
    'subscription { commandUpdated(commandId: "x") { id } }',
    'query { serverInfo { version } }',
  ])('leave anything but plain fields to execution: %s', (query) => {
    expect(planCommandOutput(schema, parse(query))).toBeNull();
  });
});
