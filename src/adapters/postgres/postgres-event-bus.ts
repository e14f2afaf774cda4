import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import {
  type BusChannel,
  type BusMessage,
  decodeBusMessage,
  encodeBusMessage,
} from '../../domain/bus-messages.js';
import type { EventBus } from '../../ports/event-bus.js';
import type { Database } from './schema.js';

const CHANNELS: Record<BusChannel, string> = {
  command_output: 'rdev_command_output',
  command_input: 'rdev_command_input',
  command_status: 'rdev_command_status',
  dispatch: 'rdev_dispatch',
  leases_released: 'rdev_leases_released',
  api_key_changed: 'rdev_api_key_changed',
};

export interface PostgresEventBusOptions {
  url: string;
  db: Kysely<Database>;
  onError?(error: unknown): void;
  /** First reconnect delay; doubles up to 5 s. */
  retryMs?: number;
}

/**
 * The event bus between replicas: PostgreSQL `LISTEN/NOTIFY` on one dedicated connection per
 * process. Notifications carry only ids; after the connection drops and comes back, reconnect
 * listeners are told to re-read from the store, so nothing is lost across the gap.
 */
export class PostgresEventBus implements EventBus {
  private client: pg.Client | null = null;
  private readonly handlers = new Map<BusChannel, Set<(message: never) => void>>();
  private readonly reconnectHandlers = new Set<() => void>();
  private closed = false;
  private connected = false;
  private retryMs: number;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: PostgresEventBusOptions) {
    this.retryMs = options.retryMs ?? 100;
  }

  /** True while the LISTEN connection is up: readiness depends on it. */
  get isConnected(): boolean {
    return this.connected;
  }

  async start(): Promise<void> {
    await this.connect(false);
  }

  async publish<C extends BusChannel>(channel: C, message: BusMessage<C>): Promise<void> {
    const payload = encodeBusMessage(channel, message);
    await sql`SELECT pg_notify(${CHANNELS[channel]}, ${payload})`.execute(this.options.db);
  }

  subscribe<C extends BusChannel>(channel: C, handler: (message: BusMessage<C>) => void): () => void {
    const set = this.handlers.get(channel) ?? new Set();
    set.add(handler as (message: never) => void);
    this.handlers.set(channel, set);
    return () => set.delete(handler as (message: never) => void);
  }

  onReconnect(handler: () => void): () => void {
    this.reconnectHandlers.add(handler);
    return () => this.reconnectHandlers.delete(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    this.connected = false;
    await client?.end().catch(() => {});
  }

  private async connect(isReconnect: boolean): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: 'rdev-listen',
      connectionTimeoutMillis: 5_000,
    });
    client.on('notification', (message) => {
      const channel = (Object.keys(CHANNELS) as BusChannel[]).find((c) => CHANNELS[c] === message.channel);
      if (!channel) return;
      // Decoded once, whatever the number of subscribers.
      const received = decodeBusMessage(channel, message.payload ?? '');
      if (received === null) return;
      for (const handler of this.handlers.get(channel) ?? []) handler(received as never);
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('LISTEN connection ended')));
    try {
      await client.connect();
      for (const name of Object.values(CHANNELS)) await client.query(`LISTEN ${name}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
      if (!isReconnect) throw error;
      this.lost(client, error);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.connected = true;
    this.retryMs = this.options.retryMs ?? 100;
    if (isReconnect) for (const handler of this.reconnectHandlers) handler();
  }

  private lost(client: pg.Client, error: unknown): void {
    if (this.client !== client && this.client !== null) return;
    this.client = null;
    this.connected = false;
    if (this.closed || this.retryTimer) return;
    this.options.onError?.(error);
    client.end().catch(() => {});
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect(true);
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 5_000);
  }
}
