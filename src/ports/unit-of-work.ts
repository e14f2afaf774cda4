import type { ApiKeyStore } from './api-key-store.js';
import type { AuditLog } from './audit-log.js';
import type { CommandInputStore } from './command-input-store.js';
import type { CommandStore } from './command-store.js';
import type { WebhookDeliveryStore } from './webhook-delivery-store.js';
import type { WebhookOutbox } from './webhook-outbox.js';
import type { WebhookStore } from './webhook-store.js';

/**
 * The stores a unit of work hands out, all bound to one transaction. Capabilities add their
 * stores here so that a change, its audit row and its outbox events commit together.
 */
export interface TransactionalStores {
  audit: AuditLog;
  apiKeys: ApiKeyStore;
  commands: CommandStore;
  /** Input of open-stdin commands. */
  commandInput: CommandInputStore;
  /** The webhook outbox: `enqueue` an event in the transaction of the change it reports. */
  webhooks: WebhookOutbox;
  webhookStore: WebhookStore;
  webhookDeliveries: WebhookDeliveryStore;
}

/** Runs work in one database transaction: everything in `fn` commits together or not at all. */
export interface UnitOfWork {
  run<T>(fn: (stores: TransactionalStores) => Promise<T>): Promise<T>;
}
