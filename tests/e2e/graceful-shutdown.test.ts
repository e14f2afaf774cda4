/**
 * SIGTERM to one of two `rdev serve` replicas on one PostgreSQL, in the middle of real work:
 * commands running under its leases, clients following them over graphql-ws, GraphQL over SSE and
 * the legacy SSE stream (the docs/api example clients, through a load balancer in front of both
 * replicas), and webhook deliveries waiting and in flight. The replica must drain and exit 0
 * within its grace period; the other replica finishes the commands; every client gets every byte
 * exactly once; every webhook arrives.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { plainId } from '../support/command-test-app.js';
import { type RdevProcess, REPO_ROOT } from '../support/rdev-process.js';
import { type ReplicaCluster, startReplicaCluster } from '../support/replicas.js';
import { killRunGroups } from '../support/runtime-harness.js';
import { POSTGRES_URL } from '../support/test-databases.js';
import { eventually, sleep } from '../support/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const GRACE_MS = 15_000;
const LINES = 60;
// Half the output, then a wait for the test to open the gate (after the signal), then the rest:
// the commands are surely running when the replica stops, and print more after it is gone.
const GATE = 'gate';
const script = (name: string) =>
  `i=1; while [ $i -le ${LINES} ]; do echo "${name} line $i ünïcødé"; ` +
  `if [ $i -eq ${LINES / 2} ]; then while [ ! -f ${GATE} ]; do sleep 0.05; done; fi; i=$((i+1)); sleep 0.01; done`;
const expected = (name: string) =>
  Array.from({ length: LINES }, (_, i) => `${name} line ${i + 1} ünïcødé\n`).join('');
const EXAMPLES = join(REPO_ROOT, 'docs', 'api', 'examples');
const RUN = `mutation($input: RunShellInput!) { runShell(input: $input) {
  __typename ... on RunCommandPayload { command { id } } ... on Error { code message } } }`;

interface TcpBalancer {
  url: string;
  close(): Promise<void>;
}

/**
 * What a Kubernetes Service does for the clients: each new connection goes to the first backend
 * that accepts it. A draining replica stops accepting, so reconnecting clients reach the other.
 */
async function startTcpBalancer(ports: () => number[]): Promise<TcpBalancer> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.pause();
    const attempt = (i: number) => {
      const port = ports()[i];
      if (port === undefined) return client.destroy();
      const upstream = connect(port, '127.0.0.1');
      upstream.once('error', () => attempt(i + 1));
      upstream.once('connect', () => {
        sockets.add(upstream);
        upstream.removeAllListeners('error');
        upstream.once('close', () => {
          sockets.delete(upstream);
          client.destroy();
        });
        client.once('close', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

interface Follower {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/** A docs/api example client, run as a reader would run it. */
function follow(file: string, commandId: string, url: string, key: string): Follower {
  const child = spawn(process.execPath, [join(EXAMPLES, file), commandId], {
    cwd: EXAMPLES,
    env: { PATH: process.env.PATH ?? '', RDEV_URL: url, RDEV_KEY: key },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

describe.runIf(POSTGRES_URL)('SIGTERM to a replica under load', () => {
  let cluster: ReplicaCluster;
  let receiver: WebhookReceiver;
  let balancer: TcpBalancer;
  const followers: Follower[] = [];

  beforeAll(async () => {
    // A slow receiver keeps deliveries waiting and attempts in flight when the signal comes.
    receiver = await startWebhookReceiver(async (_req, res) => {
      await sleep(150);
      res.writeHead(204).end();
    });
    cluster = await startReplicaCluster({
      count: 1,
      projects: { alpha: { max_concurrent_commands: 20 } },
      env: {
        RDEV_WEBHOOK_ALLOW_PRIVATE: 'true',
        RDEV_SHUTDOWN_GRACE_MS: String(GRACE_MS),
        RDEV_WEBHOOK_CONCURRENCY: '4',
        // Leases far longer than the test: the other replica can only take the commands over
        // in time because the draining one hands them back and says so.
        RDEV_LEASE_TTL_MS: '120000',
        RDEV_LOG_LEVEL: 'info',
      },
    });
  });
  afterAll(async () => {
    for (const f of followers) f.child.kill('SIGKILL');
    await balancer?.close();
    await cluster?.close();
    killRunGroups(join(cluster.workspaces, 'alpha'));
    await receiver?.close();
  });

  it('drains and exits 0 within the grace period; the other replica finishes everything', async () => {
    const c = cluster;
    const a = c.replicas[0]!;
    const gql = async (replica: RdevProcess, query: string, variables: Record<string, unknown>) => {
      const { body } = await c.graphql(replica, query, variables);
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    for (const path of ['/hook-1', '/hook-2']) {
      const data = await gql(
        a,
        `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { __typename } }`,
        {
          input: {
            url: `${receiver.origin}${path}`,
            events: ['COMMAND_QUEUED', 'COMMAND_STARTED', 'COMMAND_SUCCEEDED', 'COMMAND_FAILED'],
          },
        },
      );
      expect(data.createWebhook.__typename).toBe('CreateWebhookPayload');
    }
    const run = async (replica: RdevProcess, scriptText: string) => {
      const data = await gql(replica, RUN, { input: { projectName: 'alpha', script: scriptText } });
      if (data.runShell.__typename !== 'RunCommandPayload') throw new Error(JSON.stringify(data));
      return data.runShell.command.id as string;
    };

    // Replica A alone claims the long commands: they run under its leases.
    const names = ['ws', 'sse', 'legacy'];
    const ids = await Promise.all(names.map((n) => run(a, script(n))));
    await eventually(async () => {
      const { rows } = await c.sql.query(
        `SELECT count(*)::int AS n FROM commands WHERE status = 'RUNNING' AND lease_owner LIKE $1`,
        [`%-${a.child.pid}-%`],
      );
      return rows[0].n === ids.length;
    }, 'replica A to run the commands');
    const b = await c.start();
    balancer = await startTcpBalancer(() => [a, b].map((r) => Number(new URL(r.url).port)));

    // Clients through the balancer, which prefers A while it accepts connections.
    const key = c.adminKey;
    followers.push(
      follow('follow-output-graphql-ws.mjs', ids[0]!, balancer.url, key),
      follow('follow-output-graphql-sse.mjs', ids[1]!, balancer.url, key),
      follow('follow-output-eventsource.mjs', plainId(ids[2]!), balancer.url, key),
    );
    // And one graphql-ws connection straight to A, to see how it is closed.
    const socket = new WebSocket(`${a.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }));
    await new Promise((resolve) => socket.once('message', resolve));
    const closeCode = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await eventually(
      async () => followers.every((f) => f.stdout().includes(`line ${LINES / 2} `)),
      'every client to have the first half',
    );

    // Webhooks waiting and in flight: quick commands make events for both webhooks.
    for (let i = 0; i < 8; i++) await run(i % 2 ? a : b, `echo quick ${i}`);
    await eventually(async () => receiver.received.length > 0, 'a first delivery');
    const { rows: waiting } = await c.sql.query(
      `SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'PENDING'`,
    );
    expect(waiting[0].n).toBeGreaterThan(0);

    a.child.kill('SIGTERM');
    expect(await closeCode).toBe(1001);
    // Not ready any more: it refuses connections or answers 503.
    const ready = await fetch(`${a.url}/ready`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(ready === 503 || ready === 'refused', `A answered /ready with ${ready}`).toBe(true);
    const { code } = await a.exited;
    expect(code).toBe(0);
    // It drained within the grace period: nothing had to be cut off when it ran out.
    expect(a.stdout()).not.toContain('grace period over');

    // The commands go on; the rest of their output can only come through the other replica.
    writeFileSync(join(c.workspaces, 'alpha', GATE), '');
    // Every client has every byte exactly once, from the other replica after the move.
    for (const [i, f] of followers.entries()) {
      const exited = await Promise.race([f.exited, sleep(30_000).then(() => 'still waiting')]);
      expect(exited, f.stderr()).toBe(0);
      expect(f.stdout()).toBe(expected(names[i]!));
    }
    // B adopted A's commands and recorded their ends; the stored output is complete and in order.
    for (const [i, id] of ids.entries()) {
      expect(b.stdout()).toContain(plainId(id));
      const { rows } = await c.sql.query(
        `SELECT c.status, string_agg(o.data, '' ORDER BY o.seq) FILTER (WHERE o.stream = 'STDOUT') AS out,
                count(*)::int AS events, max(o.seq) AS last
         FROM commands c JOIN command_output o ON o.command_id = c.id WHERE c.id = $1 GROUP BY c.status`,
        [plainId(id)],
      );
      expect(rows[0]).toMatchObject({ status: 'SUCCEEDED', out: expected(names[i]!) });
      expect(Number(rows[0].last)).toBe(rows[0].events);
    }
    expect(b.stdout()).toMatch(/adopted running command/);

    // Every webhook delivery arrives; none was cut off mid-attempt.
    await eventually(async () => {
      const { rows } = await c.sql.query(
        `SELECT count(*) FILTER (WHERE status <> 'SUCCEEDED')::int AS open FROM webhook_deliveries`,
      );
      return rows[0].open === 0;
    }, 'every webhook delivery to succeed');
    const { rows: deliveries } = await c.sql.query(
      `SELECT w.url, e.message_id FROM webhook_deliveries d
       JOIN webhooks w ON w.id = d.webhook_id JOIN webhook_events e ON e.id = d.event_id`,
    );
    // 11 commands, 3 events each, 2 webhooks.
    expect(deliveries).toHaveLength(11 * 3 * 2);
    const received = new Set(receiver.received.map((r) => `${r.path} ${r.headers['webhook-id']}`));
    for (const d of deliveries) expect(received).toContain(`${new URL(d.url).pathname} ${d.message_id}`);
    const { rows: failed } = await c.sql.query(
      `SELECT count(*)::int AS n FROM webhook_attempts WHERE NOT succeeded`,
    );
    expect(failed[0].n).toBe(0);
  });
});

describe.runIf(POSTGRES_URL)('SIGTERM while a webhook receiver does not answer', () => {
  const GRACE = 3_000;
  let cluster: ReplicaCluster;
  let receiver: WebhookReceiver;
  const hanging = new Set<() => void>();

  beforeAll(async () => {
    // The first attempt of every message hangs (until the test ends); the retry is answered.
    const seen = new Set<string>();
    receiver = await startWebhookReceiver(async (req, res) => {
      const id = String(req.headers['webhook-id']);
      if (!seen.has(id)) {
        seen.add(id);
        await new Promise<void>((resolve) => hanging.add(resolve));
      }
      res.writeHead(204).end();
    });
    cluster = await startReplicaCluster({
      count: 1,
      projects: { alpha: {} },
      env: {
        RDEV_WEBHOOK_ALLOW_PRIVATE: 'true',
        RDEV_SHUTDOWN_GRACE_MS: String(GRACE),
        // An attempt may take far longer than the grace period...
        RDEV_WEBHOOK_ATTEMPT_TIMEOUT_MS: '60000',
        RDEV_WEBHOOK_ATTEMPT_DEADLINE_MS: '60000',
        RDEV_WEBHOOK_RETRY_SCHEDULE: '1s',
        RDEV_WEBHOOK_RETRY_JITTER_PERCENT: '0',
      },
    });
  });
  afterAll(async () => {
    for (const release of hanging) release();
    await cluster?.close();
    await receiver?.close();
  });

  it('cuts the attempt off when the grace period ends, exits 0, and another replica delivers it', async () => {
    const c = cluster;
    const a = c.replicas[0]!;
    const created = await c.graphql(
      a,
      `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) {
        ... on CreateWebhookPayload { webhook { id } } ... on Error { code message } } }`,
      { input: { url: `${receiver.origin}/slow`, events: ['WEBHOOK_PING'] } },
    );
    const webhookId = created.body.data.createWebhook.webhook.id;
    await c.graphql(a, `mutation($id: ID!) { pingWebhook(input: { id: $id }) { __typename } }`, {
      id: webhookId,
    });
    await eventually(async () => receiver.received.length === 1, "A's attempt to reach the receiver");
    const b = await c.start();

    const signalledAt = Date.now();
    a.child.kill('SIGTERM');
    const { code } = await a.exited;
    // ...yet the replica is gone after its grace period, not after the attempt's 60 s deadline
    // (the bound is loose so a busy machine cannot fail it; the deadline is far beyond it).
    expect(code).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(GRACE + 25_000);

    // The cut-off attempt is on record, and the other replica's retry delivers the same message.
    await receiver.waitFor(2, 20_000);
    expect(receiver.received[1]!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id']);
    const { rows } = await eventually(async () => {
      const result = await c.sql.query(
        `SELECT d.status, a.succeeded, a.error FROM webhook_deliveries d
         JOIN webhook_attempts a ON a.delivery_id = d.id ORDER BY a.at`,
      );
      return result.rows.length === 2 && result.rows[0].status === 'SUCCEEDED' ? result : null;
    }, 'the retry to be recorded');
    expect(rows[0]).toMatchObject({ succeeded: false, error: expect.stringMatching(/shut down/) });
    expect(rows[1]).toMatchObject({ succeeded: true });
    expect(b.child.exitCode).toBeNull();
  });
});
