import { type Kysely, sql, type Transaction } from 'kysely';
import { type CommandStatus, isTerminal } from '../../domain/command.js';
import { isUuid } from '../../domain/uuid.js';
import type { CommandInputStore, InputRefusal, PendingInput } from '../../ports/command-input-store.js';
import type { Database } from './schema.js';

export class PostgresCommandInputStore implements CommandInputStore {
  constructor(private readonly db: Kysely<Database>) {}

  private inTransaction<T>(fn: (tx: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.db.isTransaction
      ? fn(this.db)
      : this.db.transaction().execute((tx: Transaction<Database>) => fn(tx));
  }

  append(
    commandId: string,
    data: Uint8Array,
    eof: boolean,
  ): Promise<{ seq: number; offset: number } | { refused: InputRefusal } | null> {
    if (!isUuid(commandId)) return Promise.resolve(null);
    return this.inTransaction(async (tx) => {
      // The row lock orders concurrent senders (on any replica): each piece gets the next seq
      // and starts where the one before ended.
      const command = await tx
        .selectFrom('commands')
        .select(['status', 'open_stdin', 'input_eof', 'input_seq', 'input_bytes'])
        .where('id', '=', commandId)
        .forUpdate()
        .executeTakeFirst();
      if (!command) return null;
      if (isTerminal(command.status as CommandStatus)) return { refused: 'ended' as const };
      if (!command.open_stdin) return { refused: 'not-open' as const };
      if (command.input_eof) return { refused: 'eof-sent' as const };
      const seq = command.input_seq + 1;
      const offset = Number(command.input_bytes);
      await tx
        .insertInto('command_input')
        .values({ command_id: commandId, seq, byte_offset: offset, data: Buffer.from(data), eof })
        .execute();
      await tx
        .updateTable('commands')
        .set({ input_seq: seq, input_bytes: offset + data.length, input_eof: eof })
        .where('id', '=', commandId)
        .execute();
      return { seq, offset };
    });
  }

  async pending(commandId: string, maxBytes: number): Promise<PendingInput[]> {
    if (!isUuid(commandId)) return [];
    const rows = await sql<{ seq: number; byte_offset: string; data: Buffer; eof: boolean }>`
      SELECT seq, byte_offset, data, eof FROM (
        SELECT i.*, sum(octet_length(i.data)) OVER (ORDER BY i.seq) - octet_length(i.data) AS before
        FROM command_input i JOIN commands c ON c.id = i.command_id
        WHERE i.command_id = ${commandId} AND i.seq > c.input_delivered_seq
      ) page
      WHERE before < ${maxBytes} OR seq = (
        SELECT min(seq) FROM command_input i JOIN commands c ON c.id = i.command_id
        WHERE i.command_id = ${commandId} AND i.seq > c.input_delivered_seq
      )
      ORDER BY seq`.execute(this.db);
    return rows.rows.map((r) => ({
      seq: r.seq,
      offset: Number(r.byte_offset),
      data: new Uint8Array(r.data),
      eof: r.eof,
    }));
  }

  markDelivered(commandId: string, owner: string, seq: number): Promise<boolean> {
    return this.inTransaction(async (tx) => {
      const row = await tx
        .updateTable('commands')
        .set({ input_delivered_seq: sql`greatest(input_delivered_seq, ${seq})` })
        .where('id', '=', commandId)
        .where('lease_owner', '=', owner)
        .returning('id')
        .executeTakeFirst();
      if (!row) return false;
      await tx
        .deleteFrom('command_input')
        .where('command_id', '=', commandId)
        .where('seq', '<=', seq)
        .execute();
      return true;
    });
  }
}
