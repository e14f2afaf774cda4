/**
 * Small notifications between the parts of rdev, and between replicas: "command X has new output
 * up to seq N", "command X changed status", "project P may have a free slot", "a replica that is
 * shutting down handed its running commands back", "API key K was changed, rotated or revoked". Payloads are tiny
 * (ids and numbers); receivers read the data itself from the store, so a lost or duplicated
 * notification costs a read, never data.
 */
export type BusChannel =
  | 'command_output'
  | 'command_status'
  | 'dispatch'
  | 'leases_released'
  | 'api_key_changed';

export interface EventBus {
  /** Delivers `payload` to every subscriber of `channel`, on every replica. */
  publish(channel: BusChannel, payload: string): Promise<void>;
  /** Calls `handler` for each payload published on `channel`; returns the unsubscribe function. */
  subscribe(channel: BusChannel, handler: (payload: string) => void): () => void;
  /**
   * Calls `handler` after the bus had to reconnect: notifications may have been missed, so
   * listeners re-read what they follow from the store.
   */
  onReconnect(handler: () => void): () => void;
}
