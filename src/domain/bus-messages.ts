/**
 * What each event-bus channel carries, and how it is written as a notification payload (a
 * PostgreSQL `NOTIFY` payload between replicas). Payloads are tiny, ids and numbers only:
 * receivers read the data itself from the store, so a lost or duplicated notification costs a
 * read, never data. Every publisher and receiver goes through this one codec.
 */
export interface BusMessages {
  /** Command `commandId` has output stored up to `seq` (its end event included). */
  command_output: { commandId: string; seq: number };
  /** Command `commandId` has input stored up to `seq` for its lease holder to deliver. */
  command_input: { commandId: string; seq: number };
  /** Command `commandId` changed status, or a cancel was asked for it. */
  command_status: { commandId: string };
  /** `projectName` may have a free slot (a command was queued or finished there). */
  dispatch: { projectName: string };
  /** A replica that is shutting down handed `count` running commands back. */
  leases_released: { count: number };
  /** API key `keyId` was changed, rotated or revoked. */
  api_key_changed: { keyId: string };
}

export type BusChannel = keyof BusMessages;
export type BusMessage<C extends BusChannel> = BusMessages[C];

interface Codec<T> {
  encode(message: T): string;
  /** Null for a payload this codec did not write: the notification is dropped. */
  decode(payload: string): T | null;
}

const ids = <K extends string>(key: K): Codec<Record<K, string>> => ({
  encode: (message) => message[key],
  decode: (payload) => (payload === '' ? null : ({ [key]: payload } as Record<K, string>)),
});

const commandSeq = (): Codec<{ commandId: string; seq: number }> => ({
  encode: ({ commandId, seq }) => `${commandId}:${seq}`,
  decode: (payload) => {
    const colon = payload.lastIndexOf(':');
    const seq = Number(payload.slice(colon + 1));
    return colon > 0 && Number.isSafeInteger(seq) ? { commandId: payload.slice(0, colon), seq } : null;
  },
});

const CODECS: { [C in BusChannel]: Codec<BusMessages[C]> } = {
  command_output: commandSeq(),
  command_input: commandSeq(),
  command_status: ids('commandId'),
  dispatch: ids('projectName'),
  leases_released: {
    encode: ({ count }) => String(count),
    decode: (payload) => ({ count: Number(payload) || 0 }),
  },
  api_key_changed: ids('keyId'),
};

export const BUS_CHANNELS = Object.keys(CODECS) as BusChannel[];

export function encodeBusMessage<C extends BusChannel>(channel: C, message: BusMessage<C>): string {
  return CODECS[channel].encode(message);
}

export function decodeBusMessage<C extends BusChannel>(channel: C, payload: string): BusMessage<C> | null {
  return CODECS[channel].decode(payload) as BusMessage<C> | null;
}
