import { EventEmitter } from 'node:events';
import {
  type BusChannel,
  type BusMessage,
  decodeBusMessage,
  encodeBusMessage,
} from '../../domain/bus-messages.js';
import type { EventBus } from '../../ports/event-bus.js';

/** The event bus of a single process (the embedded database, or one replica alone). */
export class InProcessEventBus implements EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every open subscription listens; the number is bounded by the subscription caps, not here.
    this.emitter.setMaxListeners(0);
  }

  async publish<C extends BusChannel>(channel: C, message: BusMessage<C>): Promise<void> {
    // Written and read through the codec as between replicas, so one process behaves as many do.
    const payload = encodeBusMessage(channel, message);
    // Asynchronous like a real bus: a publisher never runs its subscribers' code inline.
    queueMicrotask(() => {
      const received = decodeBusMessage(channel, payload);
      if (received) this.emitter.emit(channel, received);
    });
  }

  subscribe<C extends BusChannel>(channel: C, handler: (message: BusMessage<C>) => void): () => void {
    this.emitter.on(channel, handler);
    return () => this.emitter.off(channel, handler);
  }

  onReconnect(): () => void {
    return () => {};
  }
}
