/**
 * The mixed load of a soak run, on loopback: queries, mutations, commands streaming output,
 * graphql-ws and SSE subscribers that come and go. Every answer is counted by outcome.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface Stats {
  requests: number;
  byStatus: Record<string, number>;
  errorCodes: Record<string, number>;
  /** Requests that got no answer at all (connection refused, reset, timed out). */
  noAnswer: number;
  commands: string[];
  subscriptions: number;
  subscriptionErrors: number;
  sseStreams: number;
  outputEvents: number;
}

export function newStats(): Stats {
  return {
    requests: 0,
    byStatus: {},
    errorCodes: {},
    noAnswer: 0,
    commands: [],
    subscriptions: 0,
    subscriptionErrors: 0,
    sseStreams: 0,
    outputEvents: 0,
  };
}

export interface Target {
  url: string;
  key: string;
  project: string;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

/** One GraphQL request over HTTP, counted. */
export async function gql(
  target: Target,
  stats: Stats,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<any> {
  stats.requests++;
  try {
    const res = await fetch(`${target.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${target.key}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30_000),
    });
    const klass = `${Math.floor(res.status / 100)}xx`;
    stats.byStatus[klass] = (stats.byStatus[klass] ?? 0) + 1;
    const body = (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
    for (const e of body.errors ?? []) {
      const code = e.extensions?.code ?? 'NO_CODE';
      stats.errorCodes[code] = (stats.errorCodes[code] ?? 0) + 1;
    }
    return body.data ?? null;
  } catch {
    stats.noAnswer++;
    return null;
  }
}

const QUERIES = [
  '{ serverInfo { version } }',
  '{ viewer { scopes } }',
  '{ projects { edges { node { name status runningCommands queuedCommands } } } }',
  '{ commands(first: 20) { edges { node { id status lastSeq } } } }',
  '{ queue { projects { projectName queued running } } }',
  '{ apiKeys(first: 10) { edges { node { id name } } } }',
  '{ webhooks { edges { node { id enabled } } } }',
  '{ auditEvents(first: 20) { edges { node { action } } } }',
];

export async function queries(target: Target, stats: Stats, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    if (Math.random() < 0.3 && stats.commands.length > 0) {
      await gql(
        target,
        stats,
        'query($id: ID!) { node(id: $id) { id ... on Command { status output(first: 20) { seq } } } }',
        {
          id: pick(stats.commands),
        },
      );
    } else {
      await gql(target, stats, pick(QUERIES));
    }
    await sleep(20 + Math.random() * 60, signal);
  }
}

/** Keys created and revoked, Claude Code files written and deleted, a webhook edited. */
export async function mutations(
  target: Target,
  stats: Stats,
  signal: AbortSignal,
  webhookId: string,
): Promise<void> {
  for (let n = 0; !signal.aborted; n++) {
    const created = await gql(
      target,
      stats,
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { ... on CreateApiKeyPayload { apiKey { id } } } }`,
      { input: { name: `soak ${n}`, scopes: ['PROJECTS_READ'], projectNames: [target.project] } },
    );
    const keyId = created?.createApiKey?.apiKey?.id;
    if (keyId)
      await gql(target, stats, 'mutation($id: ID!) { revokeApiKey(input: { id: $id }) { __typename } }', {
        id: keyId,
      });
    const item = { projectName: target.project, kind: 'COMMAND', name: `soak-${n % 5}` };
    await gql(
      target,
      stats,
      'mutation($input: CreateClaudeConfigItemInput!) { createClaudeConfigItem(input: $input) { __typename } }',
      { input: { ...item, content: `---\ndescription: soak ${n}\n---\nSay ${n}.\n` } },
    );
    await gql(
      target,
      stats,
      'mutation($input: DeleteClaudeConfigItemInput!) { deleteClaudeConfigItem(input: $input) { __typename } }',
      { input: item },
    );
    await gql(
      target,
      stats,
      'mutation($input: UpdateWebhookInput!) { updateWebhook(input: $input) { __typename } }',
      {
        input: { id: webhookId, description: `soak ${n}` },
      },
    );
    await sleep(200 + Math.random() * 300, signal);
  }
}

/** Commands printing for a while, one after another; now and then a burst or a cancel. */
export async function commands(target: Target, stats: Stats, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const lines = 50 + Math.floor(Math.random() * 250);
    const script =
      Math.random() < 0.1
        ? 'head -c 2000000 /dev/zero | tr "\\0" "x"; echo'
        : `i=0; while [ $i -lt ${lines} ]; do echo "soak line $i of ${lines}"; i=$((i+1)); sleep 0.02; done`;
    const data = await gql(
      target,
      stats,
      'mutation($input: RunShellInput!) { runShell(input: $input) { ... on RunCommandPayload { command { id } } } }',
      { input: { projectName: target.project, script } },
    );
    const id: string | undefined = data?.runShell?.command?.id;
    if (!id) {
      await sleep(500, signal);
      continue;
    }
    stats.commands.push(id);
    if (stats.commands.length > 200) stats.commands.shift();
    if (Math.random() < 0.1) {
      await sleep(500, signal);
      await gql(target, stats, 'mutation($id: ID!) { cancelCommand(input: { id: $id }) { __typename } }', {
        id,
      });
    }
    for (;;) {
      const state = await gql(target, stats, 'query($id: ID!) { command(id: $id) { status } }', { id });
      if (signal.aborted || !['QUEUED', 'RUNNING'].includes(state?.command?.status)) break;
      await sleep(500, signal);
    }
  }
}

/** graphql-ws subscribers that connect, read a little of some command's output or status, and leave. */
export async function wsSubscribers(target: Target, stats: Stats, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const id = stats.commands.length > 0 ? pick(stats.commands.slice(-20)) : null;
    const client = createClient({
      url: `${target.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${target.key}` },
      retryAttempts: 0,
      lazy: true,
    });
    stats.subscriptions++;
    await new Promise<void>((resolve) => {
      const stop = setTimeout(
        () => {
          unsubscribe();
          resolve();
        },
        500 + Math.random() * 3_000,
      );
      const query = id
        ? {
            query:
              'subscription($id: ID!, $after: Int) { commandOutput(commandId: $id, after: $after) { seq data } }',
            variables: { id, after: Math.floor(Math.random() * 50) },
          }
        : { query: 'subscription { commandUpdated { id status } }' };
      const unsubscribe = client.subscribe(query, {
        next: () => {
          stats.outputEvents++;
        },
        error: () => {
          stats.subscriptionErrors++;
          clearTimeout(stop);
          resolve();
        },
        complete: () => {
          clearTimeout(stop);
          resolve();
        },
      });
    });
    await client.dispose();
    await sleep(50, signal);
  }
}

/** Legacy SSE clients that read a few events and hang up, over and over. */
export async function sseClients(target: Target, stats: Stats, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const id = stats.commands.length > 0 ? pick(stats.commands.slice(-20)) : null;
    if (!id) {
      await sleep(500, signal);
      continue;
    }
    const plain = Buffer.from(id, 'base64').toString('utf8').split(':')[1];
    const controller = new AbortController();
    stats.requests++;
    stats.sseStreams++;
    try {
      const res = await fetch(`${target.url}/api/v1/commands/${plain}/stream`, {
        headers: {
          authorization: `Bearer ${target.key}`,
          'last-event-id': String(Math.floor(Math.random() * 20)),
        },
        signal: controller.signal,
      });
      const klass = `${Math.floor(res.status / 100)}xx`;
      stats.byStatus[klass] = (stats.byStatus[klass] ?? 0) + 1;
      const reader = res.body?.getReader();
      const until = Date.now() + 300 + Math.random() * 2_000;
      while (reader && Date.now() < until) {
        const { done } = await reader.read();
        if (done) break;
      }
    } catch {
      // hung up on purpose
    } finally {
      controller.abort();
    }
    await sleep(100, signal);
  }
}
