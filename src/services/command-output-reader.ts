import { canAccessProject, requireProjectAccess, requireScope } from '../domain/authorization.js';
import { type Command, isTerminal, type OutputEvent } from '../domain/command.js';
import type { Principal } from '../domain/principal.js';
import { SharedReads } from '../lib/shared-reads.js';
import { itemsOfPages, napUntilWoken, stoppableStream } from '../lib/stoppable-stream.js';
import type { CommandStore } from '../ports/command-store.js';
import type { EventBus } from '../ports/event-bus.js';
import { visibleCommand } from './visible-command.js';

/**
 * Events per page a subscriber reads from the store, and the data bytes a page stops at. The byte
 * budget bounds what a reader holds; the event count only matters for short lines, where larger
 * pages mean fewer round trips (a legacy SSE replay of 100,000 short events ran a fifth faster
 * with 2,000 per page than with 500).
 */
const OUTPUT_PAGE_EVENTS = 2000;
export const OUTPUT_PAGE_BYTES = 256 * 1024;

export interface CommandOutputReaderDeps {
  store: CommandStore;
  bus: EventBus;
}

export interface CommandUpdatesFilter {
  commandId?: string | null;
  projectName?: string | null;
}

/**
 * Reading what commands print and how their status changes: stored output after a cursor, then
 * live output and status as it is stored, on every transport. Every method checks the caller
 * first (`commands:read` and the key's project grant).
 */
export class CommandOutputReader {
  /** Subscribers of one command woken together read its output and status once between them. */
  private readonly outputReads = new SharedReads<OutputEvent[]>();
  private readonly commandReads = new SharedReads<Command | null>();

  constructor(private readonly deps: CommandOutputReaderDeps) {}

  /** Up to `first` stored output events after `after`. */
  async output(caller: Principal | null, id: string, after: number, first: number): Promise<OutputEvent[]> {
    const command = await visibleCommand(this.deps.store, caller, id);
    return this.deps.store.readOutput(command.id, after, first);
  }

  /**
   * The command's output after `after`: stored events first, then live ones as they are stored,
   * ending with the end event (at once when the cursor is already past it). Authorised before it
   * resolves, so an unknown or hidden command fails before the first event. Pull-based: a slow
   * reader holds at most one page (about {@link OUTPUT_PAGE_BYTES}) in memory, and `return()`
   * (or `signal`) ends it at once, even while it waits for output.
   */
  async followOutput(
    caller: Principal | null,
    id: string,
    after: number,
    signal?: AbortSignal,
  ): Promise<AsyncIterableIterator<OutputEvent>> {
    return itemsOfPages(await this.followOutputPages(caller, id, after, signal));
  }

  /**
   * {@link followOutput} a page at a time, for a transport that writes a page at once: each page
   * is a non-empty run of consecutive events, the end event last in the last page. Pages may be
   * shared with other readers and must not be changed.
   */
  async followOutputPages(
    caller: Principal | null,
    id: string,
    after: number,
    signal?: AbortSignal,
  ): Promise<AsyncIterableIterator<readonly OutputEvent[]>> {
    const command = await visibleCommand(this.deps.store, caller, id);
    return stoppableStream((stopped) => this.pagesAfter(command, Math.max(0, after), stopped), signal);
  }

  /**
   * Status changes of commands the caller may see, optionally of one command (its current state
   * first, ending after its final status) or of one project. Authorised before it resolves;
   * `return()` (or `signal`) ends it at once.
   */
  async followUpdates(
    caller: Principal | null,
    filter: CommandUpdatesFilter,
    signal?: AbortSignal,
  ): Promise<AsyncIterableIterator<Command>> {
    requireScope(caller, 'commands:read');
    if (filter.commandId) await visibleCommand(this.deps.store, caller, filter.commandId);
    if (filter.projectName) requireProjectAccess(caller, filter.projectName);
    return stoppableStream((stopped) => this.updates(caller, filter, stopped), signal);
  }

  private async *pagesAfter(command: Command, after: number, stopped: AbortSignal) {
    const { store, bus } = this.deps;
    let cursor = after;
    let nap: { wake(): void } | null = null;
    let pending = true;
    let endChecked = false;
    // Output reads already in flight when this reader learnt of newer output are not shared with it.
    let fresh = 0;
    const notify = () => {
      pending = true;
      fresh = this.outputReads.mark();
      nap?.wake();
    };
    const unsubscribe = bus.subscribe('command_output', ({ commandId }) => {
      if (commandId === command.id) notify();
    });
    const unReconnect = bus.onReconnect(notify);
    try {
      while (!stopped.aborted) {
        pending = false;
        const events = await this.outputReads.read(
          `${command.id}:${cursor}`,
          () => store.readOutput(command.id, cursor, OUTPUT_PAGE_EVENTS, OUTPUT_PAGE_BYTES),
          fresh,
        );
        const end = events.findIndex((e) => e.end);
        if (end >= 0) {
          yield end === events.length - 1 ? events : events.slice(0, end + 1);
          return;
        }
        if (events.length > 0) {
          yield events;
          cursor = events[events.length - 1]!.seq;
        }
        if (events.length > 0 || pending) continue;
        const now = await this.commandReads.read(command.id, () => store.get(command.id));
        if (!now) return;
        if (isTerminal(now.status)) {
          // The end event commits with the status: one more read finds it, unless the cursor is
          // already past it (or retention removed the output).
          if (now.lastSeq <= cursor || endChecked) return;
          endChecked = true;
          // That read must see the end: a shared one that started before this status read might
          // not, and the reader would stop short of the end.
          fresh = this.outputReads.mark();
          continue;
        }
        // Wait for a notification; re-read now and then anyway, in case one was lost.
        const waiting = napUntilWoken(2_000, stopped);
        nap = waiting;
        if (!pending) await waiting.done;
        nap = null;
      }
    } finally {
      unsubscribe();
      unReconnect();
    }
  }

  private async *updates(caller: Principal, filter: CommandUpdatesFilter, stopped: AbortSignal) {
    // One command's subscriber gets its current state first: it cannot miss a change that
    // happened between reading the command and subscribing, and an ended one completes at once.
    const queue: string[] = filter.commandId ? [filter.commandId] : [];
    let nap: { wake(): void } | null = null;
    const unsubscribe = this.deps.bus.subscribe('command_status', ({ commandId: id }) => {
      if (filter.commandId && id !== filter.commandId) return;
      // Ids only, deduplicated: a subscriber that falls behind reads each command's latest state once.
      if (queue.length < 1000 && !queue.includes(id)) queue.push(id);
      nap?.wake();
    });
    try {
      while (!stopped.aborted) {
        const id = queue.shift();
        if (id === undefined) {
          const waiting = napUntilWoken(60_000, stopped);
          nap = waiting;
          await waiting.done;
          nap = null;
          continue;
        }
        const command = await this.deps.store.get(id);
        if (!command || !canAccessProject(caller, command.projectName)) continue;
        if (filter.projectName && command.projectName !== filter.projectName) continue;
        yield command;
        if (filter.commandId && isTerminal(command.status)) return;
      }
    } finally {
      unsubscribe();
    }
  }
}
