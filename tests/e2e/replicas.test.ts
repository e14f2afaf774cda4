import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { localId } from '../support/fault-checks.js';
import { type ReplicaCluster, startReplicaCluster } from '../support/replicas.js';
import { POSTGRES_URL } from '../support/test-databases.js';
import { sleep, waitFor } from '../support/wait.js';

const RUN = `mutation($input: RunShellInput!) { runShell(input: $input) {
  __typename ... on RunCommandPayload { command { id } } ... on Error { code message } } }`;

async function run(c: ReplicaCluster, replica: number, input: Record<string, unknown>): Promise<string> {
  const { body } = await c.graphql(c.replicas[replica]!, RUN, { input });
  const result = body.data?.runShell;
  if (result?.__typename !== 'RunCommandPayload') throw new Error(JSON.stringify(body));
  return result.command.id;
}

async function waitAllTerminal(c: ReplicaCluster, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await c.sql.query(
      `SELECT count(*)::int AS n FROM commands WHERE status IN ('QUEUED', 'RUNNING')`,
    );
    if (rows[0].n === 0) return;
    if (Date.now() > deadline) throw new Error(`${rows[0].n} commands still not finished`);
    await sleep(100);
  }
}

/** Local TCP ports of a process's sockets, from /proc: tells which backend is whose connection. */
function localPorts(pid: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // Closed meanwhile.
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9]!)) ports.add(Number.parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

async function ready(url: string): Promise<number> {
  return (await fetch(`${url}/ready`)).status;
}

describe.runIf(POSTGRES_URL)('several replicas on one postgres', () => {
  let cluster: ReplicaCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('streams to a subscriber on replica A, byte-identical and in order, the output of a command sent to replica B', async () => {
    cluster = await startReplicaCluster({ count: 2, projects: { alpha: { max_concurrent_commands: 5 } } });
    const c = cluster;
    const id = await run(c, 1, {
      projectName: 'alpha',
      script:
        'i=0; while [ $i -lt 3000 ]; do echo "line $i ünïcødé"; i=$((i+1)); [ $((i % 500)) -eq 0 ] && sleep 0.2; done',
    });
    const client = createClient({
      url: `${c.replicas[0]!.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${c.adminKey}` },
    });
    let text = '';
    let lastSeq = 0;
    let end: any = null;
    for await (const result of client.iterate({
      query: 'subscription($id: ID!) { commandOutput(commandId: $id) { seq stream data end { status } } }',
      variables: { id },
    })) {
      const e = (result.data as any).commandOutput;
      expect(e.seq).toBe(lastSeq + 1);
      lastSeq = e.seq;
      if (e.end) end = e.end;
      else if (e.stream === 'STDOUT') text += e.data;
    }
    await client.dispose();
    const expected = Array.from({ length: 3000 }, (_, i) => `line ${i} ünïcødé\n`).join('');
    expect(text).toBe(expected);
    expect(end).toEqual({ status: 'SUCCEEDED' });
  });

  it('holds the per-project limit and the queue order across replicas', async () => {
    cluster = await startReplicaCluster({
      count: 2,
      projects: { beta: { max_concurrent_commands: 3 } },
      env: { RDEV_QUEUE_AGING_SECONDS: '3600', RDEV_DISPATCH_INTERVAL_MS: '200' },
    });
    const c = cluster;
    // Fill the three slots, so the next thirty all wait in the queue together.
    // They hold their slots until the test releases them, however slow the machine is.
    // Each process also marks itself live in `live/` while it runs: the limit is checked on
    // processes, not only on the RUNNING column.
    const live = join(c.workspaces, 'beta', 'live');
    mkdirSync(live, { recursive: true });
    const marked = (body: string) => `m=live/$$; touch $m; ${body}; rm $m`;
    for (let i = 0; i < 3; i++) {
      await run(c, i % 2, {
        projectName: 'beta',
        script: marked('while [ ! -e release ]; do sleep 0.05; done'),
      });
    }
    let maxRunning = 0;
    let maxLive = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await c.sql.query(
          `SELECT count(*)::int AS n FROM commands WHERE project_name = 'beta' AND status = 'RUNNING'`,
        );
        maxRunning = Math.max(maxRunning, rows[0].n);
        maxLive = Math.max(maxLive, readdirSync(live).length);
        await sleep(20);
      }
    })();
    await sleep(300);
    // Submitted together, in order of creation, while every slot is taken.
    for (let batch = 0; batch < 3; batch++) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          run(c, j % 2, {
            projectName: 'beta',
            script: marked('sleep 0.2; echo ok'),
            priority: [10, 50, 90][j % 3]!,
          }),
        ),
      );
    }
    writeFileSync(join(c.workspaces, 'beta', 'release'), '');
    await waitAllTerminal(c, 90_000);
    sampling = false;
    await sampler;
    expect(maxRunning).toBeLessThanOrEqual(3);
    expect(maxRunning).toBe(3);
    expect(maxLive).toBe(3);
    const { rows } = await c.sql.query(
      `SELECT priority, created_at, started_at, status FROM commands WHERE project_name = 'beta' ORDER BY created_at OFFSET 3`,
    );
    // The order is only meaningful if all thirty waited together.
    const firstStart = Math.min(...rows.map((r) => r.started_at.getTime()));
    expect(rows.every((r) => r.created_at.getTime() < firstStart)).toBe(true);
    expect(rows.every((r) => r.status === 'SUCCEEDED')).toBe(true);
    const byStart = [...rows].sort((a, b) => a.started_at - b.started_at);
    const byRule = [...rows].sort((a, b) => b.priority - a.priority || a.created_at - b.created_at);
    // Claims happen three at a time, so compare the order of claim rounds, not of single rows.
    const round = (list: typeof rows) => list.map((r) => r.priority);
    // Commands claimed together share a start time, so compare whole claim rounds of three.
    expect(round(byStart).slice(0, 9).sort()).toEqual(round(byRule).slice(0, 9).sort());
    expect(byStart.slice(0, 9).every((r) => r.priority === 90)).toBe(true);
    expect(byStart.slice(21).every((r) => r.priority === 10)).toBe(true);
    // Within one priority, older first.
    for (const p of [90, 50, 10]) {
      const same = byStart.filter((r) => r.priority === p);
      const starts = same.map((r) => r.started_at.getTime());
      expect(starts).toEqual([...starts].sort((a, b) => a - b));
    }
  });

  it('adopts the commands of a SIGKILLed replica within the lease TTL, each ending exactly once', async () => {
    const TTL_MS = 6000;
    const INTERVAL_MS = 200;
    const TICKS = 120;
    cluster = await startReplicaCluster({
      count: 2,
      projects: { gamma: { max_concurrent_commands: 10 } },
      env: { RDEV_LEASE_TTL_MS: String(TTL_MS), RDEV_DISPATCH_INTERVAL_MS: String(INTERVAL_MS) },
    });
    const c = cluster;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(
        localId(
          await run(c, i % 2, {
            projectName: 'gamma',
            script: `i=0; while [ $i -lt ${TICKS} ]; do echo "cmd ${i} tick $i"; i=$((i+1)); sleep 0.1; done`,
          }),
        ),
      );
    }
    // Wait until every command runs, then kill the replica holding the most leases.
    let owners: string[] = [];
    for (let t = 0; t < 100; t++) {
      const { rows } = await c.sql.query(`SELECT lease_owner FROM commands WHERE status = 'RUNNING'`);
      owners = rows.map((r) => r.lease_owner);
      if (owners.length === 4) break;
      await sleep(100);
    }
    expect(owners).toHaveLength(4);
    const victim = c.replicas.find((r) => owners.some((o) => o.includes(`-${r.child.pid}-`)))!;
    const survivor = c.replicas.find((r) => r !== victim)!;
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await victim.exited;
    // The victim can renew no more: these are the leases the survivor must wait out.
    const held = await c.sql.query(
      `SELECT id, lease_expires_at FROM commands WHERE status = 'RUNNING' AND lease_owner LIKE $1`,
      [`%-${victim.child.pid}-%`],
    );
    expect(held.rows.length).toBeGreaterThan(0);
    // Adoption: each lease moves to the survivor after it expired, within one dispatch interval
    // of its expiry and so within the TTL plus that interval of the kill (each with a second for a
    // busy host to schedule the pass).
    const adopted = new Map<string, { seenAt: number; expiresAt: Date }>();
    while (adopted.size < held.rows.length && Date.now() - killedAt < 4 * TTL_MS) {
      const { rows } = await c.sql.query(
        `SELECT id, lease_expires_at FROM commands WHERE id = ANY($1) AND lease_owner LIKE $2`,
        [held.rows.map((r) => r.id), `%-${survivor.child.pid}-%`],
      );
      for (const r of rows)
        if (!adopted.has(r.id)) adopted.set(r.id, { seenAt: Date.now(), expiresAt: r.lease_expires_at });
      await sleep(25);
    }
    expect(adopted.size).toBe(held.rows.length);
    for (const old of held.rows) {
      const { seenAt, expiresAt } = adopted.get(old.id)!;
      expect(seenAt - killedAt).toBeLessThanOrEqual(TTL_MS + INTERVAL_MS + 1000);
      expect(seenAt - old.lease_expires_at.getTime()).toBeLessThanOrEqual(INTERVAL_MS + 1000);
      // Taken with a new lease of its own, granted only once the victim's had run out.
      expect(expiresAt.getTime() - TTL_MS).toBeGreaterThanOrEqual(old.lease_expires_at.getTime());
    }
    await waitAllTerminal(c, 30_000);
    for (const [i, id] of ids.entries()) {
      const { rows } = await c.sql.query(`SELECT status FROM commands WHERE id = $1`, [id]);
      expect(rows[0].status).toBe('SUCCEEDED');
      const ends = await c.sql.query(
        `SELECT count(*)::int AS n FROM command_output WHERE command_id = $1 AND "end" IS NOT NULL`,
        [id],
      );
      expect(ends.rows[0].n).toBe(1);
      const audits = await c.sql.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE action = 'command.finish' AND target_id = $1`,
        [id],
      );
      expect(audits.rows[0].n).toBe(1);
      const out = await c.sql.query(
        `SELECT string_agg(data, '' ORDER BY seq) AS text FROM command_output WHERE command_id = $1 AND stream = 'STDOUT'`,
        [id],
      );
      expect(out.rows[0].text).toBe(Array.from({ length: TICKS }, (_, t) => `cmd ${i} tick ${t}\n`).join(''));
    }
  });

  it('reports not ready while its LISTEN connection is gone, and catches its subscriber up from the store after', async () => {
    cluster = await startReplicaCluster({ count: 2, projects: { epsilon: { max_concurrent_commands: 5 } } });
    const c = cluster;
    const [a, b] = [c.replicas[0]!, c.replicas[1]!];
    const lines = 150;
    const id = await run(c, 1, {
      projectName: 'epsilon',
      script: `i=1; while [ $i -le ${lines} ]; do echo "line $i"; i=$((i+1)); sleep 0.05; done`,
    });
    const client = createClient({
      url: `${a.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${c.adminKey}` },
    });
    const events: { seq: number; stream: string; data: string; end: unknown }[] = [];
    const done = (async () => {
      for await (const result of client.iterate({
        query: 'subscription($id: ID!) { commandOutput(commandId: $id) { seq stream data end { status } } }',
        variables: { id },
      })) {
        events.push((result.data as any).commandOutput);
      }
    })();
    await waitFor(() => events.length > 0, 'first output on replica A');
    const maxSeq = async () =>
      (
        await c.sql.query(
          `SELECT coalesce(max(seq), 0)::int AS n FROM command_output WHERE command_id = $1`,
          [localId(id)],
        )
      ).rows[0].n as number;

    // Keep ending replica A's LISTEN backend (it reconnects within a tenth of a second) until A
    // has been seen not ready and the command has stored output meanwhile.
    const aPid = a.child.pid!;
    const killListen = () =>
      c.sql.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid() AND client_port = ANY($1::int[])`,
        [[...localPorts(aPid)]],
      );
    expect((await killListen()).rows).toEqual([{ pg_terminate_backend: true }]);
    const gapStart = await maxSeq();
    let notReady = 0;
    const deadline = Date.now() + 20_000;
    while ((notReady === 0 || (await maxSeq()) < gapStart + 20) && Date.now() < deadline) {
      if ((await ready(a.url)) === 503) notReady++;
      await killListen();
      await sleep(20);
    }
    expect(notReady).toBeGreaterThan(0);
    const gapEnd = await maxSeq();
    expect(gapEnd).toBeGreaterThanOrEqual(gapStart + 20);
    // The other replica kept its connection.
    expect(await ready(b.url)).toBe(200);
    expect(a.stdout() + a.stderr()).toContain('event bus connection lost; reconnecting');

    // Left alone, A reconnects by itself, is ready again, and its subscriber gets everything.
    while ((await ready(a.url)) !== 200 && Date.now() < deadline + 10_000) await sleep(50);
    expect(await ready(a.url)).toBe(200);
    await done;
    await client.dispose();
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(
      events
        .filter((e) => e.stream === 'STDOUT')
        .map((e) => e.data)
        .join(''),
    ).toBe(Array.from({ length: lines }, (_, i) => `line ${i + 1}\n`).join(''));
    expect(events.at(-1)!.end).toEqual({ status: 'SUCCEEDED' });
  });

  it('counts one key across replicas: at most the limit is accepted, and 429s say when to retry', async () => {
    // A long window: on a slow machine a thousand requests may take longer than a minute.
    cluster = await startReplicaCluster({
      count: 2,
      projects: { delta: {} },
      // Counting is under test, not the failure policy: give a loaded store time to answer.
      env: { RDEV_RATE_LIMIT_WINDOW_SECONDS: '900', RDEV_RATE_LIMIT_TIMEOUT_MS: '10000' },
    });
    const c = cluster;
    const created = await c.graphql(
      c.replicas[0]!,
      `mutation { createApiKey(input: { name: "limited", scopes: [PROJECTS_READ], rateLimit: 100 }) {
        ... on CreateApiKeyPayload { secret } } }`,
    );
    const key = created.body.data.createApiKey.secret;
    let accepted = 0;
    let refused = 0;
    let badHeaders = 0;
    const one = async (i: number) => {
      const r = await c.graphql(c.replicas[i % 2]!, '{ viewer { clientIp } }', {}, key);
      const rateLimit = r.headers.get('ratelimit') ?? '';
      if (r.status === 200) {
        accepted++;
        const remaining = /^"default";r=(\d+);t=\d+$/.exec(rateLimit)?.[1];
        if (remaining === undefined || Number(remaining) >= 100) badHeaders++;
      } else if (r.status === 429) {
        refused++;
        const retryAfter = r.headers.get('retry-after') ?? '';
        if (!/^\d+$/.test(retryAfter) || rateLimit !== `"default";r=0;t=${retryAfter}`) badHeaders++;
      }
      if (!/^"default";q=100;w=900$/.test(r.headers.get('ratelimit-policy') ?? '')) badHeaders++;
    };
    for (let batch = 0; batch < 50; batch++)
      await Promise.all(Array.from({ length: 20 }, (_, j) => one(batch * 20 + j)));
    expect(accepted + refused).toBe(1000);
    // Exact within one window; a run straddling a window boundary may admit part of the next window's share.
    expect(accepted).toBeGreaterThanOrEqual(100);
    expect(accepted).toBeLessThanOrEqual(110);
    expect(badHeaders).toBe(0);
  });
});
