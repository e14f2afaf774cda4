import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { ClaudeSession, Command, CommandEnd, OutputEvent, OutputStream } from '../../domain/command.js';
import { IdempotencyKeyTakenError } from '../../domain/errors.js';
import type { GitStatusEntry } from '../../domain/git-status.js';
import type { Page, PageRequest } from '../../domain/page.js';
import { isUuid } from '../../domain/uuid.js';
import { traceparentOf } from '../../observability/trace-context.js';
import {
  type ClaimedCommand,
  type CommandFilter,
  type CommandStore,
  type NewCommand,
  type NewOutputEvent,
  OutputRejectedError,
  type QueueCounts,
} from '../../ports/command-store.js';
import { type CommandRow, newCommandRow, toClaimed, toCommand } from './command-rows.js';
import { rejectedByDatabase, uniqueViolationOf } from './database-errors.js';
import { newestFirstPage } from './keyset-page.js';
import type { CommandOutputTable, Database } from './schema.js';
import { storableText } from './storable-text.js';

/** The queue's order: priority plus one point per `aging` seconds waited, then age. */
const effectivePriority = (agingSeconds: number) =>
  sql<number>`(priority + floor(extract(epoch from (now() - created_at)) / ${agingSeconds}))`;

export class PostgresCommandStore implements CommandStore {
  constructor(private readonly db: Kysely<Database>) {}

  private inTransaction<T>(fn: (tx: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.db.isTransaction
      ? fn(this.db)
      : this.db.transaction().execute((tx: Transaction<Database>) => fn(tx));
  }

  async insert(c: NewCommand): Promise<Command> {
    try {
      return await this.insertRow(c);
    } catch (error) {
      if (c.idempotencyKey && uniqueViolationOf(error, 'commands_idempotency_idx')) {
        throw new IdempotencyKeyTakenError(c.idempotencyKey);
      }
      throw error;
    }
  }

  private async insertRow(c: NewCommand): Promise<Command> {
    const row = await this.db
      .insertInto('commands')
      .values(newCommandRow(c, traceparentOf()))
      .returningAll()
      .executeTakeFirstOrThrow();
    return toCommand(row);
  }

  async findByIdempotencyKey(keyId: string | null, idempotencyKey: string) {
    const row = await this.db
      .selectFrom('commands')
      .selectAll()
      .where(
        sql`coalesce(requested_by, '00000000-0000-0000-0000-000000000000'::uuid)`,
        '=',
        keyId ?? '00000000-0000-0000-0000-000000000000',
      )
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
    return row ? { ...toCommand(row), requestHash: row.request_hash } : null;
  }

  async get(id: string): Promise<Command | null> {
    if (!isUuid(id)) return null;
    const row = await this.db.selectFrom('commands').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toCommand(row) : null;
  }

  async list(filter: CommandFilter, page: PageRequest): Promise<Page<Command>> {
    let query = this.db.selectFrom('commands').selectAll();
    if (filter.visibleProjects !== null) {
      if (filter.visibleProjects.length === 0) return { items: [], cursors: [], hasNextPage: false };
      query = query.where('project_name', 'in', [...filter.visibleProjects]);
    }
    if (filter.projectName) query = query.where('project_name', '=', filter.projectName);
    if (filter.statuses?.length) query = query.where('status', 'in', filter.statuses);
    if (filter.types?.length) query = query.where('type', 'in', filter.types);
    return newestFirstPage(query, { createdAt: 'created_at', id: 'id' }, page, toCommand);
  }

  async queuePosition(id: string, agingSeconds: number): Promise<number | null> {
    if (!isUuid(id)) return null;
    const row = await sql<{ position: number }>`
      WITH me AS (
        SELECT project_name, created_at, id, ${effectivePriority(agingSeconds)} AS ep
        FROM commands WHERE id = ${id} AND status = 'QUEUED'
      )
      SELECT 1 + (
        SELECT count(*)::int FROM commands c, me
        WHERE c.status = 'QUEUED' AND c.project_name = me.project_name AND c.id <> me.id
          AND ((c.priority + floor(extract(epoch from (now() - c.created_at)) / ${agingSeconds})) > me.ep
            OR ((c.priority + floor(extract(epoch from (now() - c.created_at)) / ${agingSeconds})) = me.ep
                AND (c.created_at, c.id) < (me.created_at, me.id)))
      ) AS position
      FROM me`.execute(this.db);
    return row.rows[0]?.position ?? null;
  }

  async queueCounts(visibleProjects: readonly string[] | null): Promise<QueueCounts[]> {
    let query = this.db
      .selectFrom('commands')
      .select([
        'project_name',
        sql<number>`count(*) FILTER (WHERE status = 'QUEUED')::int`.as('queued'),
        sql<number>`count(*) FILTER (WHERE status = 'RUNNING')::int`.as('running'),
        sql<Date | null>`min(created_at) FILTER (WHERE status = 'QUEUED')`.as('oldest'),
      ])
      .where('status', 'in', ['QUEUED', 'RUNNING'])
      .groupBy('project_name')
      .orderBy('project_name');
    if (visibleProjects !== null) {
      if (visibleProjects.length === 0) return [];
      query = query.where('project_name', 'in', [...visibleProjects]);
    }
    const rows = await query.execute();
    return rows.map((r) => ({
      projectName: r.project_name,
      queued: r.queued,
      running: r.running,
      oldestQueuedAt: r.oldest,
    }));
  }

  async queuedProjects(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('commands')
      .select('project_name')
      .distinct()
      .where('status', '=', 'QUEUED')
      .execute();
    return rows.map((r) => r.project_name);
  }

  claim(
    projectName: string,
    maxConcurrent: number,
    owner: string,
    leaseMs: number,
    agingSeconds: number,
  ): Promise<ClaimedCommand[]> {
    return this.inTransaction(async (tx) => {
      // One claimer per project at a time, on every replica: the running count cannot go stale
      // between counting and claiming, so the limit holds exactly.
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`rdev.project:${projectName}`}))`.execute(tx);
      const { running } = await tx
        .selectFrom('commands')
        .select(sql<number>`count(*)::int`.as('running'))
        .where('project_name', '=', projectName)
        .where('status', '=', 'RUNNING')
        .executeTakeFirstOrThrow();
      const free = maxConcurrent - running;
      if (free <= 0) return [];
      const rows = await sql<CommandRow>`
        WITH picked AS (
          SELECT id FROM commands
          WHERE project_name = ${projectName} AND status = 'QUEUED'
          ORDER BY ${effectivePriority(agingSeconds)} DESC, created_at, id
          LIMIT ${free}
          FOR UPDATE SKIP LOCKED
        )
        UPDATE commands c
        SET status = 'RUNNING', started_at = coalesce(c.started_at, now()), lease_owner = ${owner},
            lease_expires_at = now() + ${`${leaseMs} milliseconds`}::interval, start_attempts = c.start_attempts + 1, error = NULL
        FROM picked WHERE c.id = picked.id
        RETURNING c.*`.execute(tx);
      return rows.rows.map(toClaimed);
    });
  }

  async requeue(
    id: string,
    owner: string,
    error: string,
    options: { attemptUsed?: boolean } = {},
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('commands')
      .set({
        status: 'QUEUED',
        started_at: null,
        lease_owner: null,
        lease_expires_at: null,
        error,
        ...(options.attemptUsed === false ? { start_attempts: sql`greatest(start_attempts - 1, 0)` } : {}),
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'RUNNING')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async clearStartInputs(id: string): Promise<void> {
    await this.db.updateTable('commands').set({ stdin: null, env: null }).where('id', '=', id).execute();
  }

  async renewLeases(owner: string, ids: readonly string[], leaseMs: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .updateTable('commands')
      .set({ lease_expires_at: sql`now() + ${`${leaseMs} milliseconds`}::interval` })
      .where('id', 'in', [...ids])
      .where('lease_owner', '=', owner)
      .where('status', '=', 'RUNNING')
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  adopt(owner: string, leaseMs: number, limit: number, all = false): Promise<ClaimedCommand[]> {
    return this.inTransaction(async (tx) => {
      const rows = await sql<CommandRow>`
        WITH picked AS (
          SELECT id FROM commands
          WHERE status = 'RUNNING' AND (${all} OR lease_expires_at IS NULL OR lease_expires_at < now())
          ORDER BY started_at
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED
        )
        UPDATE commands c
        SET lease_owner = ${owner}, lease_expires_at = now() + ${`${leaseMs} milliseconds`}::interval
        FROM picked WHERE c.id = picked.id
        RETURNING c.*`.execute(tx);
      return rows.rows.map(toClaimed);
    });
  }

  async pruneEnded(endedBefore: Date, limit: number): Promise<{ id: string; projectName: string }[]> {
    const rows = await sql<{ id: string; project_name: string }>`
      DELETE FROM commands WHERE id IN (
        SELECT id FROM commands
        WHERE finished_at < ${endedBefore} AND status IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'LOST')
        ORDER BY finished_at LIMIT ${limit}
      )
      RETURNING id, project_name`.execute(this.db);
    return rows.rows.map((r) => ({ id: r.id, projectName: r.project_name }));
  }

  async releaseLeases(owner: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('commands')
      .set({ lease_expires_at: sql`now()` })
      .where('id', 'in', [...ids])
      .where('lease_owner', '=', owner)
      .execute();
  }

  async appendOutput(
    id: string,
    owner: string,
    events: NewOutputEvent[],
    progress: { stdoutOffset: number; stderrOffset: number; storedBytesDelta: number; truncated?: boolean },
  ): Promise<{ firstSeq: number; lastSeq: number } | null> {
    try {
      return await this.appendOutputRows(id, owner, events, progress);
    } catch (error) {
      if (!rejectedByDatabase(error)) throw error;
      const message = error instanceof Error ? error.message : String(error);
      const code = (error as { code?: unknown }).code;
      throw new OutputRejectedError(`the database refused it (SQLSTATE ${String(code)}: ${message})`, {
        cause: error,
      });
    }
  }

  private appendOutputRows(
    id: string,
    owner: string,
    events: NewOutputEvent[],
    progress: { stdoutOffset: number; stderrOffset: number; storedBytesDelta: number; truncated?: boolean },
  ): Promise<{ firstSeq: number; lastSeq: number } | null> {
    return this.inTransaction(async (tx) => {
      const row = await tx
        .updateTable('commands')
        .set({
          last_seq: sql`last_seq + ${events.length}`,
          stdout_offset: progress.stdoutOffset,
          stderr_offset: progress.stderrOffset,
          stored_bytes: sql`stored_bytes + ${progress.storedBytesDelta}`,
          output_truncated: sql`output_truncated OR ${progress.truncated ?? false}`,
          last_output_at: sql`now()`,
        })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .where('status', '=', 'RUNNING')
        .returning('last_seq')
        .executeTakeFirst();
      if (!row) return null;
      const lastSeq = row.last_seq;
      const firstSeq = lastSeq - events.length + 1;
      if (events.length > 0) {
        await tx
          .insertInto('command_output')
          .values(
            events.map((e, i) => ({
              command_id: id,
              seq: firstSeq + i,
              stream: e.stream,
              data: storableText(e.data),
              bytes: bytesToStore(e),
              claude:
                e.claude === undefined || e.claude === null ? null : storableText(JSON.stringify(e.claude)),
              end: null,
            })),
          )
          .execute();
      }
      return { firstSeq, lastSeq };
    });
  }

  async readOutput(id: string, afterSeq: number, limit: number, maxBytes?: number): Promise<OutputEvent[]> {
    if (!isUuid(id) || limit <= 0) return [];
    // A running total (data and parsed Claude message) cuts the page at maxBytes; the first event
    // always comes.
    // `at` as whole milliseconds since the epoch (truncated, as the driver's own parsing does):
    // parsing the timestamp text of every row was a twentieth of the CPU of a long replay.
    const rows = await sql<Omit<Selectable<CommandOutputTable>, 'at'> & { at_ms: string }>`
      SELECT command_id, seq, stream, data, bytes, floor(extract(epoch FROM at) * 1000)::bigint AS at_ms, claude, "end" FROM (
        SELECT o.*, sum(o.size) OVER (ORDER BY o.seq) - o.size AS before
        FROM (
          SELECT *, octet_length(data) + coalesce(octet_length(bytes), 0) + coalesce(octet_length(claude::text), 0) AS size
          FROM command_output
          WHERE command_id = ${id} AND seq > ${afterSeq}
          ORDER BY seq
          LIMIT ${limit}
        ) o
      ) page
      WHERE before < ${maxBytes ?? Number.MAX_SAFE_INTEGER}
      ORDER BY seq`.execute(this.db);
    return rows.rows.map((r) => ({
      commandId: r.command_id,
      seq: r.seq,
      stream: r.stream as OutputStream,
      data: r.data,
      bytes: r.bytes ? new Uint8Array(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength) : null,
      at: new Date(Number(r.at_ms)),
      claude: r.claude ?? null,
      end: (r.end as CommandEnd | null) ?? null,
    }));
  }

  async setClaudeSession(id: string, session: ClaudeSession): Promise<void> {
    await this.db
      .updateTable('commands')
      .set({ claude_session: JSON.stringify(session) })
      .where('id', '=', id)
      .execute();
  }

  async setGitStatusAtStart(id: string, entries: GitStatusEntry[]): Promise<void> {
    await this.db
      .updateTable('commands')
      .set({ git_status_at_start: JSON.stringify(entries) })
      .where('id', '=', id)
      .execute();
  }

  async gitStatusAtStart(id: string): Promise<GitStatusEntry[] | null> {
    const row = await this.db
      .selectFrom('commands')
      .select('git_status_at_start')
      .where('id', '=', id)
      .executeTakeFirst();
    return (row?.git_status_at_start as GitStatusEntry[] | null | undefined) ?? null;
  }

  async setWorkspaceChanges(id: string, changes: GitStatusEntry[]): Promise<void> {
    await this.db
      .updateTable('commands')
      .set({ workspace_changes: JSON.stringify(changes) })
      .where('id', '=', id)
      .execute();
  }

  async requestCancel(id: string, at: Date): Promise<Command | null> {
    if (!isUuid(id)) return null;
    const row = await this.db
      .updateTable('commands')
      .set({ cancel_requested_at: sql`coalesce(cancel_requested_at, ${at})` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row ? toCommand(row) : null;
  }

  finish(
    id: string,
    end: CommandEnd,
    at: Date,
    owner?: string,
  ): Promise<{ command: Command; endSeq: number } | null> {
    return this.inTransaction(async (tx) => {
      let update = tx
        .updateTable('commands')
        .set({
          status: end.status,
          finished_at: at,
          exit_code: end.exitCode,
          signal: end.signal,
          error: end.error,
          last_seq: sql`last_seq + 1`,
          lease_owner: null,
          lease_expires_at: null,
          env: null,
          stdin: null,
        })
        .where('id', '=', id)
        .where('status', 'in', ['QUEUED', 'RUNNING']);
      if (owner !== undefined) update = update.where('lease_owner', '=', owner);
      const row = await update.returningAll().executeTakeFirst();
      if (!row) return null;
      await tx
        .insertInto('command_output')
        .values({
          command_id: id,
          seq: row.last_seq,
          stream: 'SYSTEM',
          data: endMessage(end),
          claude: null,
          end: JSON.stringify(end),
        })
        .execute();
      return { command: toCommand(row), endSeq: row.last_seq };
    });
  }
}

/**
 * The bytes column of an event: its bytes only when they are not the UTF-8 of the stored text.
 * Text decoded without a U+FFFD came from valid UTF-8, which encodes back to the same bytes; a NUL
 * is stored in the text as U+FFFD (see storableText).
 */
function bytesToStore(e: NewOutputEvent): Buffer | null {
  if (!e.bytes || (!e.data.includes('\uFFFD') && !e.data.includes('\0'))) return null;
  // A copy: the events' bytes may be views into larger buffers, which drivers need not respect.
  return Buffer.from(e.bytes);
}

function endMessage(end: CommandEnd): string {
  const how = end.signal
    ? `signal ${end.signal}`
    : end.exitCode !== null
      ? `exit code ${end.exitCode}`
      : 'no exit code';
  const detail = end.error ? withoutRepeat(end.error, how, end.signal) : '';
  return `command ${end.status.toLowerCase().replace('_', ' ')} (${how})${detail ? `: ${detail}` : ''}\n`;
}

/**
 * The error without what the parentheses already say (`exit code 127: command not found` after
 * `(exit code 127)`), so the line says each thing once.
 */
function withoutRepeat(error: string, how: string, signal: string | null): string {
  if (error === how || (signal && error === `ended by ${signal}`)) return '';
  return error.startsWith(`${how}: `) ? error.slice(how.length + 2) : error;
}
