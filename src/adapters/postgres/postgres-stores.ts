import type { Kysely } from 'kysely';
import type { TransactionalStores } from '../../ports/unit-of-work.js';
import { PostgresApiKeyStore } from './postgres-api-key-store.js';
import { PostgresAuditLog } from './postgres-audit-log.js';
import { PostgresCommandInputStore } from './postgres-command-input-store.js';
import { PostgresCommandStore } from './postgres-command-store.js';
import { PostgresWebhookDeliveryStore } from './postgres-webhook-delivery-store.js';
import { PostgresWebhookOutbox } from './postgres-webhook-outbox.js';
import { PostgresWebhookStore } from './postgres-webhook-store.js';
import type { Database } from './schema.js';

/** Every store bound to one Kysely handle: the pool, or a transaction of the unit of work. */
export function createPostgresStores(db: Kysely<Database>): TransactionalStores {
  return {
    audit: new PostgresAuditLog(db),
    apiKeys: new PostgresApiKeyStore(db),
    commands: new PostgresCommandStore(db),
    commandInput: new PostgresCommandInputStore(db),
    webhooks: new PostgresWebhookOutbox(db),
    webhookStore: new PostgresWebhookStore(db),
    webhookDeliveries: new PostgresWebhookDeliveryStore(db),
  };
}
