import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandTestApp, startCommandApp } from '../support/command-test-app.js';
import {
  CommandsPageDocument,
  type CommandsPageQuery,
  WebhookDeliveriesPageDocument,
  type WebhookDeliveriesPageQuery,
  type WebhookDeliveriesPageQueryVariables,
} from '../support/generated/graphql.js';
import { DATABASE_KINDS } from '../support/test-databases.js';

// 300 kB of output: about 19 stored events of 16 kB.
const BIG = "head -c 300000 /dev/zero | tr '\\0' a";
const LIMIT = 65_536;

describe.each(DATABASE_KINDS)('what one response may cost and carry, on %s', (database) => {
  let t: CommandTestApp;
  let commandId: string;

  beforeAll(async () => {
    t = await startCommandApp('local', { RDEV_GRAPHQL_MAX_OUTPUT_BYTES: String(LIMIT) }, { database });
    commandId = (await t.runShell({ script: BIG })).id;
    await t.waitForEnd(commandId);
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (query: string, variables: Record<string, unknown> = {}) =>
    t.graphql(query, variables, t.auth());

  const expectCostRefusal = (res: Awaited<ReturnType<typeof post>>) => {
    expect(res.status).toBeLessThan(500);
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.body.errors[0].message).toMatch(/cost limit of 5000 exceeded/i);
    expect(res.body.errors[0].message).toMatch(/`after`/);
  };

  it('counts default page sizes in the cost: output of every command under three aliases is refused', async () => {
    const each = 'commands { edges { node { output { data } } } }';
    expectCostRefusal(await post(`{ a: ${each} b: ${each} c: ${each} }`));
    expectCostRefusal(await post(`{ ${each} }`));
    // Small pages of the same shape still run.
    const small = await post('{ commands(first: 2) { edges { node { output(first: 2) { seq } } } } }');
    expect(small.body.errors).toBeUndefined();
    expect(small.body.data.commands.edges.length).toBeGreaterThan(0);
  });

  it('lets ordinary pages through: 40 webhook deliveries with their attempts, 100 commands with their fields', async () => {
    const noHook = Buffer.from('Webhook:00000000-0000-4000-8000-000000000000').toString('base64');
    const variables: WebhookDeliveriesPageQueryVariables = { id: noHook, first: 40, attempts: 5 };
    const page = await t.graphql<WebhookDeliveriesPageQuery>(
      print(WebhookDeliveriesPageDocument),
      variables,
      t.auth(),
    );
    expect(page.body.errors).toBeUndefined();
    expect(page.body.data?.node).toBeNull();
    const commands = await t.graphql<CommandsPageQuery>(
      print(CommandsPageDocument),
      { first: 100 },
      t.auth(),
    );
    expect(commands.body.errors).toBeUndefined();
    expect(commands.body.data?.commands.edges.length).toBeGreaterThan(0);
  });

  it('counts page sizes sent as variables, whatever the same document cost before', async () => {
    const query = `query($n: Int) { commands(first: $n) { edges { node { output(first: 20) { seq } } } } }`;
    // Accepted once with a small page, so its validation is cached; a large page is still refused.
    expect((await post(query, { n: 1 })).body.errors).toBeUndefined();
    expectCostRefusal(await post(query, { n: 100 }));
    expectCostRefusal(await post(query, { n: 90 }));
  });

  it('counts each id of nodes(ids:)', async () => {
    const query = 'query($ids: [ID!]!) { nodes(ids: $ids) { ... on Command { output { seq } } } }';
    const one = await post(query, { ids: [commandId] });
    expect(one.body.errors).toBeUndefined();
    expectCostRefusal(await post(query, { ids: Array.from({ length: 30 }, () => commandId) }));
    const literal = `{ nodes(ids: [${Array.from({ length: 30 }, () => JSON.stringify(commandId)).join(', ')}]) { ... on Command { output { data } } } }`;
    expectCostRefusal(await post(literal));
  });

  it('caps the bytes of output one response carries, over all its fields, and says how to page', async () => {
    const whole = await post('query($id: ID!) { command(id: $id) { id output { seq data } } }', {
      id: commandId,
    });
    expect(whole.status).toBe(200);
    const [error] = whole.body.errors;
    expect(error.extensions.code).toBe('RESPONSE_TOO_LARGE');
    expect(error.extensions.maxBytes).toBe(LIMIT);
    expect(error.message).toContain('RDEV_GRAPHQL_MAX_OUTPUT_BYTES');
    expect(error.message).toContain('`after`');
    expect(error.path).toEqual(['command', 'output']);

    // Two aliases of 48 kB each draw on one budget: whichever is read second is refused.
    const twice = await post(
      `query($id: ID!) { command(id: $id) { a: output(first: 3) { data } b: output(first: 3, after: 3) { data } } }`,
      { id: commandId },
    );
    expect(twice.body.errors).toHaveLength(1);
    expect(twice.body.errors[0].extensions.code).toBe('RESPONSE_TOO_LARGE');
    expect([
      ['command', 'a'],
      ['command', 'b'],
    ]).toContainEqual(twice.body.errors[0].path);

    // Paged with `after`, the whole output arrives.
    let after = 0;
    let text = '';
    for (;;) {
      const page = await post(
        'query($id: ID!, $after: Int) { command(id: $id) { output(first: 3, after: $after) { seq stream data } } }',
        { id: commandId, after },
      );
      expect(page.body.errors).toBeUndefined();
      const events = page.body.data.command.output as { seq: number; stream: string; data: string }[];
      if (events.length === 0) break;
      text += events
        .filter((e) => e.stream === 'STDOUT')
        .map((e) => e.data)
        .join('');
      after = events.at(-1)!.seq;
    }
    expect(text).toBe('a'.repeat(300_000));
  });
});
