/** A piece of accepted input that the run folder does not hold yet. */
export interface PendingInput {
  /** 1, 2, 3… per command, in the order the pieces were accepted. */
  seq: number;
  /** Where the piece starts in the command's input: the bytes of every earlier piece. */
  offset: number;
  data: Uint8Array;
  /** The command's stdin closes after this piece. */
  eof: boolean;
}

/** Why a command takes no input: it ended, its stdin was not kept open, or its input ended. */
export type InputRefusal = 'ended' | 'not-open' | 'eof-sent';

/**
 * Input of commands whose stdin stays open, from the request that sends it to the replica that
 * writes it into the run folder. Accepted input is durable: it is delivered once, in order, by
 * whichever replica holds the command's lease, across restarts and adoptions.
 */
export interface CommandInputStore {
  /**
   * Accepts a piece of input under the command's row lock: gives it the next seq and byte offset.
   * @returns the piece's place, a refusal (nothing stored), or null when there is no such command.
   */
  append(
    commandId: string,
    data: Uint8Array,
    eof: boolean,
  ): Promise<{ seq: number; offset: number } | { refused: InputRefusal } | null>;
  /** Undelivered input in seq order, up to about `maxBytes` (the first piece always comes). */
  pending(commandId: string, maxBytes: number): Promise<PendingInput[]>;
  /**
   * Records that the run folder holds the input up to `seq` and forgets those pieces, while
   * `owner` holds the lease. False when the lease is no longer its own.
   */
  markDelivered(commandId: string, owner: string, seq: number): Promise<boolean>;
}
