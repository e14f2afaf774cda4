import type { BusChannel, BusMessage } from '../domain/bus-messages.js';

export type { BusChannel, BusMessage } from '../domain/bus-messages.js';

/**
 * Small notifications between the parts of rdev, and between replicas: "command X has new output
 * up to seq N", "command X changed status", "project P may have a free slot", "a replica that is
 * shutting down handed its running commands back", "API key K was changed, rotated or revoked".
 * What each channel carries, and how it is written, is `domain/bus-messages.ts`.
 */
export interface EventBus {
  /** Delivers `message` to every subscriber of `channel`, on every replica. */
  publish<C extends BusChannel>(channel: C, message: BusMessage<C>): Promise<void>;
  /**
   * Calls `handler` for each message published on `channel`; returns the unsubscribe function. One
   * message object may be handed to several handlers: they must not change it.
   */
  subscribe<C extends BusChannel>(channel: C, handler: (message: BusMessage<C>) => void): () => void;
  /**
   * Calls `handler` after the bus had to reconnect: notifications may have been missed, so
   * listeners re-read what they follow from the store.
   */
  onReconnect(handler: () => void): () => void;
}
