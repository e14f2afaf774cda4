/**
 * The client code in docs/api is real: every example file is quoted word for word in the guide
 * that explains it, and runs here, as a reader would run it, against a live rdev.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookSignatureHeaders } from '../../src/domain/webhook-signature.js';
import { type CommandTestApp, plainId, startCommandApp } from '../support/command-test-app.js';
import { fencedBlocks } from '../support/markdown.js';
import { spawnAndCapture } from '../support/processes.js';
import { REPO_ROOT } from '../support/rdev-process.js';
import { eventually } from '../support/wait.js';

const API_DOCS = join(REPO_ROOT, 'docs', 'api');
const EXAMPLES = join(API_DOCS, 'examples');
const example = (name: string) => join(EXAMPLES, name);

/** `<!-- include: examples/NAME -->` followed by a fenced block: the block must be the file. */
function includedBlocks(): { doc: string; file: string; block: string }[] {
  const found: { doc: string; file: string; block: string }[] = [];
  for (const doc of readdirSync(API_DOCS).filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(API_DOCS, doc), 'utf8');
    const marker = /<!-- include: (examples\/[\w.-]+) -->\n+(`{3,})[^\n]*\n([\s\S]*?)\n\2\n/g;
    for (const m of text.matchAll(marker)) found.push({ doc, file: m[1]!, block: `${m[3]}\n` });
  }
  return found;
}

/** The key with its last character (part of the checksum) replaced by another one. */
function withLastCharacterChanged(key: string): string {
  return key.slice(0, -1) + (key.endsWith('x') ? 'y' : 'x');
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs an example as a reader would, with RDEV_URL and RDEV_KEY set. */
function run(command: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<Finished> {
  return spawnAndCapture(command[0]!, command.slice(1), {
    cwd: EXAMPLES,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    timeoutMs,
  });
}

/** Starts a long-running example (a webhook receiver) and waits for its "listening on" line. */
async function serve(
  command: string[],
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; stdout(): string }> {
  const child = spawn(command[0]!, command.slice(1), {
    cwd: EXAMPLES,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${command.join(' ')} did not start:\n${out}\n${err}`)),
      20_000,
    );
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`${command.join(' ')} exited:\n${out}\n${err}`));
    });
  });
  return { child, url, stdout: () => out };
}

describe('docs/api quotes its example files word for word', () => {
  it('includes every example file, each exactly as it is on disk', () => {
    const blocks = includedBlocks();
    const files = readdirSync(EXAMPLES).sort();
    expect(files.length).toBeGreaterThan(0);
    expect([...new Set(blocks.map((b) => b.file))].sort()).toEqual(files.map((f) => `examples/${f}`));
    for (const { doc, file, block } of blocks) {
      expect(block, `docs/api/${doc} quotes ${file}: copy the file into the block`).toBe(
        readFileSync(join(API_DOCS, file), 'utf8'),
      );
    }
  });
});

describe('docs/api examples against a live server', () => {
  let t: CommandTestApp;
  let env: Record<string, string>;
  const SCRIPT = `printf 'one\\ntwo ünïcødé\\n'; echo 'a warning' >&2; sleep 0.3; printf 'three\\n'`;
  const STDOUT = 'one\ntwo ünïcødé\nthree\n';

  beforeAll(async () => {
    // The documented defaults, so the printed RateLimit headers match the docs.
    t = await startCommandApp('local', {
      RDEV_WEBHOOK_ALLOW_PRIVATE: 'true',
      RDEV_RATE_LIMIT_PER_KEY: '1200',
    });
    const { key } = await t.createKey({
      scopes: ['PROJECTS_READ', 'COMMANDS_READ', 'COMMANDS_RUN_SHELL', 'COMMANDS_INPUT', 'WEBHOOKS_MANAGE'],
    });
    env = { RDEV_URL: t.url, RDEV_KEY: key };
  });
  afterAll(async () => {
    await t?.close();
  });

  for (const file of ['follow-output-graphql-ws.mjs', 'follow-output-graphql-sse.mjs']) {
    it(`${file} prints a running command's output from the start, and from a cursor`, async () => {
      const { id } = await t.runShell({ script: SCRIPT });
      const whole = await run([process.execPath, example(file), id], env);
      expect(whole.stderr).toContain('a warning');
      expect(whole.stdout).toBe(STDOUT);
      expect(whole.code).toBe(0);

      const { command } = await t.gql(`query($id: ID!) { command(id: $id) { output { seq stream data } } }`, {
        id,
      });
      const first = command.output[0].seq as number;
      const rest = command.output
        .filter((e: any) => e.seq > first && e.stream === 'STDOUT')
        .map((e: any) => e.data)
        .join('');
      const resumed = await run([process.execPath, example(file), id, String(first)], env);
      expect(resumed.stdout).toBe(rest);
      expect(resumed.code).toBe(0);
    });

    it(`${file} stops at once with the reason when the key is refused`, async () => {
      const { id } = await t.runShell({ script: 'echo hi' });
      const refused = await run([process.execPath, example(file), id], {
        ...env,
        RDEV_KEY: withLastCharacterChanged(env.RDEV_KEY!),
      });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/4403|401|UNAUTHENTICATED/);
    });
  }

  it('send-input-graphql-ws.mjs sends its stdin to a program and prints the answer', async () => {
    const script = example('send-input-graphql-ws.mjs');
    const sorted = await spawnAndCapture(process.execPath, [script, 'demo', 'sort'], {
      cwd: EXAMPLES,
      env: { PATH: process.env.PATH ?? '', ...env },
      input: 'pear\nünïcødé\napple\n',
      timeoutMs: 30_000,
    });
    expect(sorted.stdout).toBe('apple\npear\nünïcødé\n');
    expect(sorted.code).toBe(0);

    const { key } = await t.createKey({ scopes: ['COMMANDS_READ', 'COMMANDS_RUN_SHELL'] });
    const refused = await spawnAndCapture(process.execPath, [script, 'demo', 'cat'], {
      cwd: EXAMPLES,
      env: { PATH: process.env.PATH ?? '', ...env, RDEV_KEY: key },
      input: 'hello\n',
      timeoutMs: 30_000,
    });
    expect(refused.stderr).toContain('FORBIDDEN');
    expect(refused.code).toBe(2);
  });

  it('follow-output-eventsource.mjs prints a legacy command stream and its end', async () => {
    const res = await fetch(`${t.url}/api/v1/projects/demo/shell`, {
      method: 'POST',
      headers: { ...t.auth(env.RDEV_KEY), 'content-type': 'application/json' },
      body: JSON.stringify({ script: SCRIPT }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const done = await run([process.execPath, example('follow-output-eventsource.mjs'), id], env);
    expect(done.stdout).toBe(STDOUT);
    expect(done.stderr).toContain('a warning');
    expect(done.code).toBe(0);

    const refused = await run([process.execPath, example('follow-output-eventsource.mjs'), id], {
      ...env,
      RDEV_KEY: withLastCharacterChanged(env.RDEV_KEY!),
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/401/);
  });

  // The curl snippets of the guides (the quick start has a test of its own).
  const snippets: { doc: string; check(out: string): void }[] = [
    {
      doc: 'subscriptions.md',
      check: (out) => {
        // GraphQL over SSE: the whole stored output, the end, then complete.
        expect(out).toContain('"data":"one\\ntwo ünïcødé\\n"');
        expect(out).toMatch(/"end":\{"status":"SUCCEEDED"\}\}\}\}\n\nevent: complete/);
        // The legacy stream from the start, then from after event 1.
        const [first, second] = out.split('retry: 1000').slice(1);
        expect(first).toMatch(/^\n\nid: 1\nevent: output\ndata: \{"seq":1,"stream":"STDOUT","data":"one\\n"/);
        expect(first).toMatch(/id: 3\nevent: end\ndata: .*"status":"SUCCEEDED"/);
        expect(second).toMatch(
          /^\n\nid: 2\nevent: output\ndata: \{"seq":2,"stream":"STDERR","data":"two\\n"/,
        );
      },
    },
    {
      doc: 'rate-limits.md',
      check: (out) => {
        expect(out).toMatch(
          /^ratelimit-policy: "default";q=1200;w=60\r?\nratelimit: "default";r=\d+;t=\d+\r?\n$/,
        );
      },
    },
  ];
  for (const snippet of snippets) {
    it(`the sh blocks of ${snippet.doc} run as printed`, async () => {
      const blocks = fencedBlocks(readFileSync(join(API_DOCS, snippet.doc), 'utf8')).filter(
        (b) => b.lang === 'sh',
      );
      expect(blocks.length).toBeGreaterThan(0);
      const { id } = await t.runShell({ script: SCRIPT });
      await t.waitForEnd(id);
      const done = await run(['bash', '-c', ['set -eu', ...blocks.map((b) => b.code)].join('\n')], {
        ...env,
        COMMAND_ID: id,
      });
      expect(done.code, done.stderr).toBe(0);
      snippet.check(done.stdout);
    });
  }

  const receivers = [
    { file: 'verify-webhook.mjs', command: (f: string) => [process.execPath, f] },
    { file: 'verify_webhook.py', command: (f: string) => ['python3', f] },
  ];
  for (const receiver of receivers) {
    it(`${receiver.file} accepts rdev's signed deliveries and refuses forged ones`, async () => {
      const created = await t.gql(
        `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) {
          __typename ... on CreateWebhookPayload { secret webhook { id } } ... on Error { code message } } }`,
        { input: { url: 'http://127.0.0.1:9/not-yet', events: ['COMMAND_SUCCEEDED'] } },
        env.RDEV_KEY,
      );
      const { secret, webhook } = created.createWebhook;
      const server = await serve(receiver.command(example(receiver.file)), {
        RDEV_WEBHOOK_SECRET: secret,
        PORT: '0',
      });
      try {
        await t.gql(
          `mutation($input: UpdateWebhookInput!) { updateWebhook(input: $input) { __typename } }`,
          { input: { id: webhook.id, url: `${server.url}/rdev` } },
          env.RDEV_KEY,
        );
        await t.gql(`mutation($id: ID!) { pingWebhook(input: { id: $id }) { __typename } }`, {
          id: webhook.id,
        });
        const { id } = await t.runShell({ script: 'echo signed' });
        await t.waitForEnd(id);

        // Both deliveries arrive, verify, and are recorded as delivered (204).
        const deliveries = await eventually(async () => {
          const data = await t.gql(
            `query($id: ID!) { node(id: $id) { ... on Webhook { deliveries { edges { node {
              status lastStatusCode messageId eventType } } } } } }`,
            { id: webhook.id },
          );
          const nodes = data.node.deliveries.edges.map((e: any) => e.node);
          return nodes.length === 2 && nodes.every((n: any) => n.status === 'SUCCEEDED') ? nodes : null;
        }, 'both deliveries to succeed');
        expect(deliveries.map((d: any) => d.lastStatusCode)).toEqual([204, 204]);
        for (const d of deliveries) expect(server.stdout()).toContain(d.messageId);
        expect(server.stdout()).toMatch(/ webhook\.ping /);
        expect(server.stdout()).toMatch(new RegExp(` command\\.succeeded .*"id": ?"${plainId(id)}"`));

        // Forgeries: the right secret over a changed body, another secret, an old timestamp.
        const body = JSON.stringify({ type: 'webhook.ping', timestamp: new Date().toISOString(), data: {} });
        const now = Math.floor(Date.now() / 1000);
        const sign = (over: { body?: string; secret?: string; at?: number } = {}) =>
          webhookSignatureHeaders({
            id: 'msg_forged',
            timestampSeconds: over.at ?? now,
            body: over.body ?? body,
            secrets: [over.secret ?? secret],
          });
        const post = async (headers: object) =>
          (await fetch(`${server.url}/rdev`, { method: 'POST', headers: { ...headers }, body })).status;
        expect(await post(sign())).toBe(204); // the control: rdev's signer, this secret
        expect(await post(sign({ body: body.replace('ping', 'pong') }))).toBe(401);
        expect(await post(sign({ secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}` }))).toBe(401);
        expect(await post(sign({ at: now - 3600 }))).toBe(401);
        expect(await post({ 'content-type': 'application/json' })).toBe(401);
        // During a rotation's overlap two signatures arrive; the old secret's one is enough.
        const rotated = webhookSignatureHeaders({
          id: 'msg_rotated',
          timestampSeconds: now,
          body,
          secrets: [`whsec_${Buffer.alloc(32, 9).toString('base64')}`, secret],
        });
        expect(rotated['webhook-signature'].split(' ')).toHaveLength(2);
        expect(await post(rotated)).toBe(204);
      } finally {
        server.child.kill('SIGTERM');
        await t.gql(`mutation($id: ID!) { deleteWebhook(input: { id: $id }) { __typename } }`, {
          id: webhook.id,
        });
      }
    });
  }
});
