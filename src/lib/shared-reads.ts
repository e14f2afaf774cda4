/**
 * Lets callers that ask for the same thing at about the same time share one read. When a command
 * prints, every subscriber of it is woken by the same notification and asks the store for the
 * page after the same cursor: with a hundred subscribers that was a hundred equal queries (and a
 * hundred copies of the rows to collect). A read is shared only with callers that arrive before
 * the next turn of the event loop, and a caller that has learnt something newer (a notification,
 * a status read) passes a {@link mark} taken then, so that it is not handed a read that started
 * before it learnt it. Results are shared objects: callers must not change them.
 */
export class SharedReads<T> {
  private readonly inFlight = new Map<string, { read: Promise<T>; n: number }>();
  private started = 0;

  /** Reads that start after this mark see everything committed before it was taken. */
  mark(): number {
    return this.started;
  }

  /** Shares a read of `key` in flight that started after `startedAfter` (a {@link mark}), or starts one. */
  read(key: string, load: () => Promise<T>, startedAfter = 0): Promise<T> {
    const shared = this.inFlight.get(key);
    if (shared && shared.n > startedAfter) return shared.read;
    const entry = { read: load(), n: ++this.started };
    this.inFlight.set(key, entry);
    setImmediate(() => {
      if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
    });
    return entry.read;
  }
}
