import type { RdevServer, RdevSite } from './rdev-site.js';

const RUN_SHELL = `mutation($input: RunShellInput!) { runShell(input: $input) {
  __typename ... on RunCommandPayload { command { id } } ... on Error { code message } } }`;
const CANCEL = `mutation($input: CancelCommandInput!) { cancelCommand(input: $input) { __typename } }`;

export interface StartedCommand {
  /** The Relay global id, as GraphQL takes it. */
  globalId: string;
  /** The database id. */
  id: string;
}

/** Submits a SHELL command through the public API. */
export async function runShell(
  server: RdevServer,
  input: { projectName: string; script?: string; argv?: string[] },
): Promise<StartedCommand> {
  const data = await server.graphql(RUN_SHELL, { input });
  if (data.runShell.__typename !== 'RunCommandPayload') throw new Error(JSON.stringify(data.runShell));
  const globalId: string = data.runShell.command.id;
  return { globalId, id: Buffer.from(globalId, 'base64').toString('utf8').split(':')[1]! };
}

export async function cancel(server: RdevServer, command: StartedCommand): Promise<void> {
  await server.graphql(CANCEL, { input: { id: command.globalId } });
}

/** Polls the database until the command's status satisfies `done`. */
export async function waitForStatus(
  site: RdevSite,
  command: StartedCommand,
  done: (status: string) => boolean,
  timeoutMs = 120_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await site.sql!.query('SELECT status FROM commands WHERE id = $1', [command.id]);
    if (done(rows[0].status)) return rows[0].status;
    if (Date.now() > deadline) throw new Error(`command ${command.id} still ${rows[0].status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const isTerminal = (status: string) => status !== 'QUEUED' && status !== 'RUNNING';
