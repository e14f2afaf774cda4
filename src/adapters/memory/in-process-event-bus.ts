import { EventEmitter } from 'node:events';
import type { BusChannel, EventBus } from '../../ports/event-bus.js';

/** The event bus of a single process (the embedded database, or one replica alone). */
export class InProcessEventBus implements EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every open subscription listens; the number is bounded by the subscription caps, not here.
    this.emitter.setMaxListeners(0);
  }

  async publish(channel: BusChannel, payload: string): Promise<void> {
    // Asynchronous like a real bus: a publisher never runs its subscribers' code inline.
    queueMicrotask(() => this.emitter.emit(channel, payload));
  }

  subscribe(channel: BusChannel, handler: (payload: string) => void): () => void {
    this.emitter.on(channel, handler);
    return () => this.emitter.off(channel, handler);
  }

  onReconnect(): () => void {
    return () => {};
  }
}
