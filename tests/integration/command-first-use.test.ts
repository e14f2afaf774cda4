import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandTestApp, startCommandApp } from '../support/command-test-app.js';

const RUN_SHELL = `mutation($input: RunShellInput!) { runShell(input: $input) { __typename
  ... on RunCommandPayload { command { id } } ... on Error { code message } } }`;

/** What a new user tries in the first hour, on the local runtime. */
describe('first use of a local project', () => {
  let t: CommandTestApp;

  beforeAll(async () => {
    t = await startCommandApp('local');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses argv written as one string, on GraphQL and on the legacy route, with a hint', async () => {
    // GraphQL coerces `argv: "echo hi"` into ["echo hi"].
    const { runShell } = await t.gql(`mutation { runShell(input: { projectName: "demo", argv: "echo hi" }) {
      __typename ... on Error { code message } } }`);
    expect(runShell).toMatchObject({ __typename: 'ValidationFailedError', code: 'VALIDATION_FAILED' });
    expect(runShell.message).toContain('argv: is one word containing spaces: use script: "echo hi"');
    expect(runShell.message).toContain('["echo","hi"]');

    const res = await fetch(`${t.url}/api/v1/projects/demo/shell`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminKey}` },
      body: JSON.stringify({ argv: ['echo hi'] }),
    });
    const body = await res.json();
    expect([res.status, body.error.code, body.error.issues[0].path]).toEqual([422, 'VALIDATION_FAILED', 'argv']);

    // One word is still a program, and several words are still literal arguments.
    const fine = await t.gql(RUN_SHELL, { input: { projectName: 'demo', argv: ['true'] } });
    expect(fine.runShell.__typename).toBe('RunCommandPayload');
    const spaced = await t.gql(RUN_SHELL, { input: { projectName: 'demo', argv: ['echo', 'a b'] } });
    expect(spaced.runShell.__typename).toBe('RunCommandPayload');
  });
});
