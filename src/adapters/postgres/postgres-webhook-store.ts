import { type Kysely, sql } from 'kysely';
import type { Page, PageRequest } from '../../domain/page.js';
import { isUuid } from '../../domain/uuid.js';
import type { NewWebhook, Webhook, WebhookPatch } from '../../domain/webhook.js';
import type { WebhookStore } from '../../ports/webhook-store.js';
import { newestFirstPage } from './keyset-page.js';
import type { Database } from './schema.js';
import { toWebhook } from './webhook-rows.js';

export class PostgresWebhookStore implements WebhookStore {
  constructor(private readonly db: Kysely<Database>) {}

  private select() {
    return this.db
      .selectFrom('webhooks as w')
      .selectAll('w')
      .select((eb) =>
        eb
          .selectFrom('webhook_secrets as s')
          .whereRef('s.webhook_id', '=', 'w.id')
          .select(sql<Date | null>`max(s.expires_at)`.as('x'))
          .as('previous_secret_expires_at'),
      );
  }

  async create(webhook: NewWebhook, secret: string, at: Date): Promise<Webhook> {
    await this.db
      .insertInto('webhooks')
      .values({
        id: webhook.id,
        url: webhook.url,
        events: webhook.events,
        project_names: webhook.projectNames,
        description: webhook.description,
        disabled_reason: null,
        disabled_at: null,
        failing_since: null,
        send_trace_context: webhook.sendTraceContext,
        created_by_key_id: webhook.createdByKeyId,
        created_at: at,
        updated_at: at,
      })
      .execute();
    await this.db
      .insertInto('webhook_secrets')
      .values({ webhook_id: webhook.id, secret, created_at: at, expires_at: null })
      .execute();
    return (await this.get(webhook.id))!;
  }

  async get(id: string): Promise<Webhook | null> {
    if (!isUuid(id)) return null;
    const row = await this.select().where('w.id', '=', id).executeTakeFirst();
    return row ? toWebhook(row) : null;
  }

  async list(
    filter: { withinProjects: readonly string[] | null },
    page: PageRequest,
  ): Promise<Page<Webhook>> {
    let query = this.select();
    if (filter.withinProjects !== null) {
      const within = [...filter.withinProjects];
      query = query
        .where('w.project_names', 'is not', null)
        .where(sql<boolean>`w.project_names <@ ${within}::text[]`);
    }
    return newestFirstPage(query, { createdAt: 'w.created_at', id: 'w.id' }, page, toWebhook);
  }

  async update(id: string, patch: WebhookPatch, at: Date): Promise<Webhook | null> {
    if (!isUuid(id)) return null;
    const result = await this.db
      .updateTable('webhooks')
      .set({
        ...(patch.url !== undefined ? { url: patch.url } : {}),
        ...(patch.events !== undefined ? { events: patch.events } : {}),
        ...(patch.projectNames !== undefined ? { project_names: patch.projectNames } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.sendTraceContext !== undefined ? { send_trace_context: patch.sendTraceContext } : {}),
        ...(patch.enabled === true
          ? { enabled: true, disabled_reason: null, disabled_at: null, failing_since: null }
          : patch.enabled === false
            ? { enabled: false, disabled_reason: null, disabled_at: at }
            : {}),
        updated_at: at,
      })
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n ? this.get(id) : null;
  }

  async delete(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const result = await this.db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async rotateSecret(
    id: string,
    secret: string,
    at: Date,
    previousSecretsExpireAt: Date,
  ): Promise<Webhook | null> {
    if (!isUuid(id)) return null;
    const touched = await this.db
      .updateTable('webhooks')
      .set({ updated_at: at })
      .where('id', '=', id)
      .executeTakeFirst();
    if (touched.numUpdatedRows === 0n) return null;
    await this.db
      .deleteFrom('webhook_secrets')
      .where('webhook_id', '=', id)
      .where('expires_at', '<=', at)
      .execute();
    await this.db
      .updateTable('webhook_secrets')
      .set({ expires_at: previousSecretsExpireAt })
      .where('webhook_id', '=', id)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', previousSecretsExpireAt)]))
      .execute();
    await this.db
      .insertInto('webhook_secrets')
      .values({ webhook_id: id, secret, created_at: at, expires_at: null })
      .execute();
    return this.get(id);
  }

  async activeSecrets(id: string, now: Date): Promise<string[]> {
    if (!isUuid(id)) return [];
    const rows = await this.db
      .selectFrom('webhook_secrets')
      .select('secret')
      .where('webhook_id', '=', id)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .orderBy('id', 'desc')
      .execute();
    return rows.map((r) => r.secret);
  }

  async storedSecrets(): Promise<{ id: string; secret: string }[]> {
    return this.db.selectFrom('webhook_secrets').select(['id', 'secret']).orderBy('id').execute();
  }

  async replaceStoredSecret(id: string, from: string, to: string): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_secrets')
      .set({ secret: to })
      .where('id', '=', id)
      .where('secret', '=', from)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async recordSuccess(id: string): Promise<void> {
    await this.db
      .updateTable('webhooks')
      .set({ failing_since: null })
      .where('id', '=', id)
      .where('failing_since', 'is not', null)
      .execute();
  }

  async recordFailure(id: string, at: Date): Promise<Webhook | null> {
    await this.db
      .updateTable('webhooks')
      .set({ failing_since: at })
      .where('id', '=', id)
      .where('failing_since', 'is', null)
      .execute();
    return this.get(id);
  }

  async disable(id: string, reason: string, at: Date): Promise<Webhook | null> {
    if (!isUuid(id)) return null;
    const result = await this.db
      .updateTable('webhooks')
      .set({ enabled: false, disabled_reason: reason, disabled_at: at, updated_at: at })
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n ? this.get(id) : null;
  }
}
