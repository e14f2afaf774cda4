import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandTestApp, collectOutput, startCommandApp } from '../support/command-test-app.js';
import { DATABASE_KINDS } from '../support/test-databases.js';

/**
 * A key granted only `alpha` asks for everything by every id it can make up: real ids of other
 * projects' commands, projects, configuration items, webhooks and keys, the same ids re-typed,
 * re-cased, padded and path-tricked, and noise. Whatever the route (node, nodes, command,
 * project, claudeConfigItem, cancelCommand, subscriptions, the audit log), nothing of `beta` or
 * `demo` comes back.
 */

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

describe.each(DATABASE_KINDS)('project isolation under random ids on %s', (kind) => {
  let t: CommandTestApp;
  let limitedKey: string;
  const ids: Record<string, string[]> = { alpha: [], beta: [], demo: [] };
  const secret = (project: string) => `SECRET_${project.toUpperCase()}_7f3a`;

  beforeAll(async () => {
    t = await startCommandApp(
      'local',
      { RDEV_RATE_LIMIT_PER_KEY: '1000000', RDEV_WEBHOOK_ALLOW_PRIVATE: 'true' },
      {
        extraProjects: { alpha: '', beta: '' },
        database: kind,
      },
    );
    for (const project of ['alpha', 'beta', 'demo']) {
      const command = await t.runShell({ projectName: project, script: `echo ${secret(project)}` });
      await t.waitForEnd(command.id);
      ids[project]!.push(command.id, b64(`Project:${project}`));
      const { createClaudeConfigItem } = await t.gql(
        `mutation($input: CreateClaudeConfigItemInput!) { createClaudeConfigItem(input: $input) {
          __typename ... on ClaudeConfigItemPayload { item { id } } ... on Error { code message } } }`,
        { input: { projectName: project, kind: 'COMMAND', name: 'note', content: `# ${secret(project)}\n` } },
      );
      ids[project]!.push(createClaudeConfigItem.item.id);
      const { createWebhook } = await t.gql(
        `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) {
          __typename ... on CreateWebhookPayload { webhook { id } } ... on Error { code message } } }`,
        {
          input: {
            url: 'http://127.0.0.1:9/hook',
            events: ['COMMAND_QUEUED'],
            projectNames: [project],
            description: secret(project),
          },
        },
      );
      ids[project]!.push(createWebhook.webhook.id);
    }
    const other = await t.createKey({
      scopes: ['PROJECTS_READ'],
      projectNames: ['beta'],
      name: secret('beta'),
    });
    ids.beta!.push(other.id);
    limitedKey = (
      await t.createKey({
        scopes: [
          'PROJECTS_READ',
          'COMMANDS_READ',
          'COMMANDS_CANCEL',
          'COMMANDS_INPUT',
          'CONFIG_READ',
          'WEBHOOKS_MANAGE',
          'AUDIT_READ',
          'KEYS_MANAGE',
        ],
        projectNames: ['alpha'],
      })
    ).key;
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Ids derived from real ones: another type, case, padding, a path trick, raw local ids. */
  const variants = (id: string): string[] => {
    const raw = unb64(id);
    const [type, ...rest] = raw.split(':');
    const local = rest.join(':');
    return [
      id,
      raw,
      local,
      b64(`Project:${local}`),
      b64(`Command:${local}`),
      b64(`ClaudeConfigItem:${local}`),
      b64(`${type}:${local.toUpperCase()}`),
      b64(`${type}:${local} `),
      b64(`${type}: ${local}`),
      b64(`${type}:alpha/../${local}`),
      b64(`${type}:${local.replace(/^(beta|demo)/, 'alpha')}`),
      b64(`${type}:alpha/COMMAND/../../${local}`),
      `${id}=`,
      id.replace(/=+$/, ''),
    ];
  };
  const anyId = () =>
    fc.oneof(
      fc.constantFrom(...[...ids.beta!, ...ids.demo!].flatMap(variants)),
      fc.constantFrom(...ids.alpha!.flatMap(variants)),
      fc.string({ maxLength: 30 }).map((s) => b64(`Command:${s}`)),
    );

  const QUERIES: [string, (id: string) => Record<string, unknown>][] = [
    ['query($id: ID!) { node(id: $id) { id __typename ...All } }', (id) => ({ id })],
    [
      'query($ids: [ID!]!) { nodes(ids: $ids) { id __typename ...All } }',
      (id) => ({ ids: [id, ...ids.alpha!] }),
    ],
    ['query($id: ID!) { command(id: $id) { ...C } }', (id) => ({ id })],
    [
      'query($n: String!) { project(name: $n) { ...P } }',
      (id) => ({ n: unb64(id).split(':').slice(1).join(':') || id }),
    ],
    [
      'query($n: String!) { project(name: "alpha") { claudeConfigItem(kind: COMMAND, name: $n) { id content } } }',
      (id) => ({ n: unb64(id).split('/').pop() ?? id }),
    ],
    [
      'mutation($id: ID!) { cancelCommand(input: { id: $id }) { __typename ... on CancelCommandPayload { command { ...C } } } }',
      (id) => ({ id }),
    ],
    [
      'mutation($id: ID!) { sendCommandInput(input: { commandId: $id, data: "x" }) { __typename ... on SendCommandInputPayload { command { ...C } } } }',
      (id) => ({ id }),
    ],
    [
      'mutation($id: ID!) { revokeApiKey(input: { id: $id }) { __typename ... on RevokeApiKeyPayload { apiKey { id name } } } }',
      (id) => ({ id }),
    ],
    [
      'mutation($id: ID!) { deleteWebhook(input: { id: $id }) { __typename ... on DeleteWebhookPayload { deletedId } } }',
      (id) => ({ id }),
    ],
  ];
  const FRAGMENTS = `
    fragment C on Command { id argv projectName output(first: 5) { data } project { name } }
    fragment P on Project { name commands(first: 5) { edges { node { id argv } } } claudeConfigItems(kind: COMMAND) { id content } }
    fragment All on Node { ... on Command { ...C } ... on Project { ...P }
      ... on ClaudeConfigItem { content } ... on Webhook { description url } ... on ApiKey { name } }`;

  const leaks = (text: string) => [secret('beta'), secret('demo')].filter((s) => text.includes(s));

  it('never answers a project-limited key with another project data, whatever id it sends', async () => {
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...QUERIES), anyId(), async ([query, vars], id) => {
        const needed = [/\.\.\.C\b/, /\.\.\.P\b/, /\.\.\.All\b/].some((r) => r.test(query));
        const document = needed ? `${query} ${FRAGMENTS}` : query;
        const { status, body } = await t.graphql(document, vars(id), t.auth(limitedKey));
        expect(status).toBeLessThan(500);
        const text = JSON.stringify(body);
        expect(leaks(text), `${query} with ${id}: ${text.slice(0, 300)}`).toEqual([]);
        expect(text).not.toContain('INTERNAL_SERVER_ERROR');
        expect(text.toLowerCase()).not.toContain('cost limit');
        if (body.data) answered++;
      }),
      { numRuns: 300 },
    );
    expect(answered).toBeGreaterThan(100);
    // The key still sees its own project, so the checks above were not vacuous.
    const own = await t.graphql(
      `query($id: ID!) { node(id: $id) { ...All } } ${FRAGMENTS}`,
      { id: ids.alpha![0] },
      t.auth(limitedKey),
    );
    expect(JSON.stringify(own.body)).toContain(secret('alpha'));
    // Foreign commands were not cancelled or otherwise touched.
    expect((await t.waitForEnd(ids.beta![0]!)).status).toBe('SUCCEEDED');
  });

  it('lists only its own project in every connection and in the audit log', async () => {
    const lists = [
      `{ projects { edges { node { ...P } } } } ${FRAGMENTS}`,
      `{ commands(first: 100) { edges { node { ...C } } } } ${FRAGMENTS}`,
      '{ webhooks { edges { node { id description url } } } }',
      '{ apiKeys(includeRevoked: true) { edges { node { id name } } } }',
      '{ queue { projects { projectName queued running } } }',
      '{ auditEvents(first: 100) { edges { node { action targetType targetId details } } } }',
    ];
    for (const query of lists) {
      const { body } = await t.graphql(query, {}, t.auth(limitedKey));
      const text = JSON.stringify(body);
      expect(leaks(text), `${query}: ${text.slice(0, 400)}`).toEqual([]);
      expect(text, query).not.toMatch(/"(beta|demo)"/);
    }
  });

  it('refuses subscriptions to other projects, and sends their events to no one else', async () => {
    const client = t.wsClient(limitedKey);
    for (const id of [...ids.beta!, ...ids.demo!].filter((x) => unb64(x).startsWith('Command:'))) {
      await expect(collectOutput(client, id)).rejects.toThrow(/NOT_FOUND/);
    }
    const updates: string[] = [];
    const projectEvents: string[] = [];
    const stops = [
      client.subscribe(
        { query: 'subscription { commandUpdated { id projectName argv } }' },
        { next: (r) => updates.push(JSON.stringify(r)), error: () => {}, complete: () => {} },
      ),
      client.subscribe(
        { query: 'subscription { projectUpdated { type project { name } } }' },
        { next: (r) => projectEvents.push(JSON.stringify(r)), error: () => {}, complete: () => {} },
      ),
    ];
    const forbidden = await new Promise<string>((resolve) =>
      client.subscribe(
        { query: 'subscription { commandUpdated(projectName: "beta") { id } }' },
        {
          next: (r) => resolve(JSON.stringify(r)),
          error: (e) => resolve(JSON.stringify(e)),
          complete: () => resolve('complete'),
        },
      ),
    );
    expect(forbidden).toMatch(/FORBIDDEN|NOT_FOUND/);
    await new Promise((r) => setTimeout(r, 300));
    const beta = await t.runShell({ projectName: 'beta', script: `echo ${secret('beta')}` });
    const alpha = await t.runShell({ projectName: 'alpha', script: 'echo mine' });
    await t.waitForEnd(beta.id);
    await t.waitForEnd(alpha.id);
    const deadline = Date.now() + 10_000;
    while (
      !updates.some((u) => u.includes(alpha.id) && u.includes('SUCCEEDED') === false) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const stop of stops) stop();
    expect(updates.some((u) => u.includes(alpha.id))).toBe(true);
    expect(updates.filter((u) => u.includes(beta.id) || leaks(u).length > 0)).toEqual([]);
    expect(projectEvents.filter((e) => /beta|demo/.test(e))).toEqual([]);
  });
});
