/**
 * What every fault test checks once the fault is over, straight from the database and the
 * receivers: no lost output, no command stuck RUNNING past its lease, one end event per command,
 * every webhook event delivered, an audit row for each change, the service ready on its own.
 */
import { createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { sleep } from './wait.js';
import type { WebhookReceiver } from './webhook-receiver.js';

/** A pg pool or a PGlite instance: what the checks need to read the database. */
export interface Queryable {
  query(text: string, params?: unknown[]): Promise<{ rows: any[] }>;
}

/** The database of an in-process test app, for the checks: its PGlite, or a pool on its PostgreSQL. */
export function queryable(database: {
  pglite: Queryable | null;
  testUrl: string | null;
}): Queryable & { close(): Promise<void> } {
  if (database.pglite) {
    const pglite = database.pglite;
    return { query: (text, params) => pglite.query(text, params), close: async () => {} };
  }
  const pool = new pg.Pool({ connectionString: database.testUrl!, max: 2 });
  return { query: (text, params) => pool.query(text, params as unknown[]), close: () => pool.end() };
}

// The polling core lives with the other waiting helpers; fault tests import it from here too.
export { sleep, until } from './wait.js';

/** Problems with the replicas' readiness: each that does not answer `/ready` with `status`. */
export async function readinessProblems(urls: string[], status: number): Promise<string[]> {
  const answers = await Promise.all(urls.map(readyStatus));
  return urls.flatMap((url, i) =>
    answers[i] === status ? [] : [`${url}/ready answered ${answers[i] || 'nothing'}`],
  );
}

/** Problems while commands are still QUEUED or RUNNING: one line per such command. */
export async function unfinishedCommands(sql: Queryable): Promise<string[]> {
  const { rows } = await sql.query(
    `SELECT id, status, start_attempts, lease_owner, lease_expires_at FROM commands WHERE status IN ('QUEUED', 'RUNNING') ORDER BY created_at`,
  );
  return rows.map(
    (r) =>
      `${r.id} is ${r.status} (${r.start_attempts} starts, lease ${r.lease_owner ?? 'none'} until ${r.lease_expires_at?.toISOString?.() ?? r.lease_expires_at})`,
  );
}

/** A plain id from a global Command id. */
export const localId = (globalId: string) => Buffer.from(globalId, 'base64').toString('utf8').split(':')[1]!;

/**
 * A shell script that appends one line to `marker` when it starts (to count starts) and prints
 * `lines` numbered lines tagged `tag`, `delay` seconds apart; `expectedOutput` is what it prints.
 */
export function tickingScript(tag: string, lines: number, delay: number, marker: string): string {
  return `echo ${tag} >> '${marker}'; i=0; while [ $i -lt ${lines} ]; do echo "${tag} tick $i é€"; i=$((i+1)); sleep ${delay}; done`;
}
export function expectedTicks(tag: string, lines: number): string {
  return Array.from({ length: lines }, (_, i) => `${tag} tick ${i} é€\n`).join('');
}

export async function readyStatus(url: string): Promise<number> {
  try {
    return (await fetch(`${url}/ready`, { signal: AbortSignal.timeout(3000) })).status;
  } catch {
    return 0;
  }
}

export interface CommandExpectation {
  /** Plain command id. */
  id: string;
  status: string;
  /** The exact stdout, or null when it cannot be known (cancelled midway). */
  stdout: string | null;
}

/** Problems with the commands as stored; an empty list when every rule holds. */
export async function commandProblems(sql: Queryable, expectations: CommandExpectation[]): Promise<string[]> {
  const problems: string[] = [];
  const stuck = await sql.query(
    `SELECT id FROM commands WHERE status = 'RUNNING' AND (lease_expires_at IS NULL OR lease_expires_at < now() - interval '1 second')`,
  );
  for (const row of stuck.rows) problems.push(`${row.id} is RUNNING past its lease`);
  for (const e of expectations) {
    const { rows } = await sql.query(
      `SELECT c.status, c.error, c.start_attempts, c.last_seq,
         (SELECT count(*)::int FROM command_output o WHERE o.command_id = c.id AND o."end" IS NOT NULL) AS ends,
         (SELECT max(seq) FROM command_output o WHERE o.command_id = c.id AND o."end" IS NOT NULL) AS end_seq,
         (SELECT count(*)::int FROM command_output o WHERE o.command_id = c.id) AS events,
         (SELECT string_agg(data, '' ORDER BY seq) FROM command_output o WHERE o.command_id = c.id AND o.stream = 'STDOUT') AS stdout,
         (SELECT count(*)::int FROM audit_events a WHERE a.target_id = c.id::text AND a.action = 'command.run') AS run_audits,
         (SELECT count(*)::int FROM audit_events a WHERE a.target_id = c.id::text AND a.action = 'command.finish') AS finish_audits
       FROM commands c WHERE c.id = $1`,
      [e.id],
    );
    const row = rows[0];
    if (!row) {
      problems.push(`${e.id} is missing`);
      continue;
    }
    if (row.status !== e.status)
      problems.push(
        `${e.id} ended ${row.status} (${row.error}, ${row.start_attempts} starts), expected ${e.status}`,
      );
    if (row.ends !== 1) problems.push(`${e.id} has ${row.ends} end events`);
    if (row.end_seq !== row.last_seq || row.events !== row.last_seq)
      problems.push(`${e.id}: seqs are not 1..${row.last_seq} ending with the end event`);
    if (e.stdout !== null && (row.stdout ?? '') !== e.stdout)
      problems.push(`${e.id}: stdout differs (${(row.stdout ?? '').length} of ${e.stdout.length} chars)`);
    if (row.run_audits !== 1) problems.push(`${e.id}: ${row.run_audits} command.run audit rows`);
    if (row.finish_audits !== 1) problems.push(`${e.id}: ${row.finish_audits} command.finish audit rows`);
  }
  return problems;
}

/**
 * Problems with webhook delivery. Every delivery of the webhook must have reached the receiver,
 * under its stable id, and be recorded as sent; nothing unknown may arrive. And since a missing
 * event leaves no delivery row to inspect, every command in the database must have produced the
 * events its life implies, of the types the webhook asked for: `command.queued`,
 * `command.started` when it started, and the event of its final status.
 */
export async function webhookProblems(
  sql: Queryable,
  webhookId: string,
  receiver: WebhookReceiver,
): Promise<string[]> {
  const problems: string[] = [];
  const { rows } = await sql.query(
    `SELECT e.message_id, e.type, d.status, d.attempt_count, d.next_attempt_at, d.claimed_until, d.last_error
     FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
     WHERE d.webhook_id = $1`,
    [webhookId],
  );
  const received = new Map<string, number>();
  const receivedTypes = new Set<string>();
  for (const r of receiver.received) {
    const id = String(r.headers['webhook-id']);
    received.set(id, (received.get(id) ?? 0) + 1);
    try {
      const body = JSON.parse(r.body.toString('utf8'));
      receivedTypes.add(`${body.type} ${body.data?.id}`);
    } catch {
      problems.push(`message ${id} arrived with a body that is not JSON`);
    }
  }
  const describe = (row: any) =>
    `${row.status} after ${row.attempt_count} attempts, next at ${iso(row.next_attempt_at)}, claimed until ${iso(row.claimed_until)}, last error ${row.last_error ?? 'none'}`;
  for (const row of rows) {
    if (!received.has(row.message_id))
      problems.push(`${row.type} ${row.message_id} never arrived (${describe(row)})`);
    else if (row.status !== 'SUCCEEDED')
      problems.push(`${row.type} ${row.message_id} arrived but is ${describe(row)}`);
  }
  for (const id of received.keys()) {
    if (!rows.some((r) => r.message_id === id)) problems.push(`an unknown message ${id} arrived`);
  }
  const [webhook] = (
    await sql.query(`SELECT events, project_names, created_at FROM webhooks WHERE id = $1`, [webhookId])
  ).rows;
  if (!webhook) return [...problems, `webhook ${webhookId} is missing`];
  const wanted = new Set<string>(webhook.events);
  const { rows: commands } = await sql.query(
    `SELECT id, status, started_at FROM commands
     WHERE created_at >= $1 AND status NOT IN ('QUEUED', 'RUNNING')
       AND ($2::text[] IS NULL OR project_name = ANY($2::text[]))`,
    [webhook.created_at, webhook.project_names],
  );
  for (const c of commands) {
    const expected = [
      'command.queued',
      c.started_at ? 'command.started' : null,
      `command.${c.status.toLowerCase()}`,
    ];
    for (const type of expected) {
      if (type && wanted.has(type) && !receivedTypes.has(`${type} ${c.id}`)) {
        problems.push(`${type} of command ${c.id} (${c.status}) never arrived`);
      }
    }
  }
  return problems;
}

function iso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

export interface FollowedOutput {
  stdout: string;
  seqs: number[];
  ends: number;
  reconnects: number;
}

/**
 * A client that follows a command's output over graphql-ws for as long as it takes: when its
 * connection dies (server killed, restarted, draining), it connects again, to any of `urls`, and
 * resumes after the last seq it saw. Resolves at the end event.
 */
export function followWithResume(
  urls: () => string[],
  key: string,
  commandId: string,
  timeoutMs: number,
): Promise<FollowedOutput> {
  const result: FollowedOutput = { stdout: '', seqs: [], ends: 0, reconnects: -1 };
  const deadline = Date.now() + timeoutMs;
  const attempt = async (n: number): Promise<FollowedOutput> => {
    result.reconnects++;
    const list = urls();
    const url = list[n % list.length]!;
    const client = createClient({
      url: `${url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
      lazy: true,
    });
    const outcome = await new Promise<'end' | 'again'>((resolve) => {
      client.subscribe<{ commandOutput: { seq: number; stream: string; data: string; end: unknown } }>(
        {
          query: `subscription($id: ID!, $after: Int) { commandOutput(commandId: $id, after: $after) { seq stream data end { status } } }`,
          variables: { id: commandId, after: result.seqs.at(-1) ?? 0 },
        },
        {
          next: (r) => {
            const e = r.data?.commandOutput;
            if (!e) return;
            result.seqs.push(e.seq);
            if (e.stream === 'STDOUT') result.stdout += e.data;
            if (e.end) result.ends++;
          },
          error: () => resolve('again'),
          complete: () => resolve(result.ends > 0 ? 'end' : 'again'),
        },
      );
    });
    await Promise.resolve(client.dispose()).catch(() => {});
    if (outcome === 'end') return result;
    if (Date.now() > deadline)
      throw new Error(`gave up following ${commandId} after ${result.reconnects} reconnects`);
    await sleep(300);
    return attempt(n + 1);
  };
  return attempt(0);
}

/** Problems with what a resuming subscriber saw: the exact output, seqs 1..n once, one end. */
export function followedProblems(followed: FollowedOutput, expectedStdout: string | null): string[] {
  const problems: string[] = [];
  followed.seqs.forEach((seq, i) => {
    if (seq !== i + 1) problems.push(`seq ${seq} at position ${i + 1}`);
  });
  if (followed.ends !== 1) problems.push(`${followed.ends} end events`);
  if (expectedStdout !== null && followed.stdout !== expectedStdout)
    problems.push(`stdout differs (${followed.stdout.length} of ${expectedStdout.length} chars)`);
  return problems.slice(0, 5);
}
