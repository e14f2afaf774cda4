import { type Kysely, type Selectable, sql } from 'kysely';
import type { ApiKey, ApiKeyCredential } from '../../domain/api-key.js';
import { NotFoundError } from '../../domain/errors.js';
import type { Page, PageRequest } from '../../domain/page.js';
import type { Scope } from '../../domain/scopes.js';
import { isUuid } from '../../domain/uuid.js';
import type { ApiKeyPatch, ApiKeyStore, NewApiKey } from '../../ports/api-key-store.js';
import { newestFirstPage } from './keyset-page.js';
import type { ApiKeysTable, Database } from './schema.js';

const BOOTSTRAP_LOCK_KEY = 7_317_002;

export class PostgresApiKeyStore implements ApiKeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('api_keys')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow();
    return row.n;
  }

  async lockBootstrap(): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK_KEY})`.execute(this.db);
  }

  async create(key: NewApiKey): Promise<ApiKey> {
    const row = await this.db
      .insertInto('api_keys')
      .values({
        name: key.name,
        display_prefix: key.prefix,
        scopes: key.scopes,
        project_names: key.projectNames,
        allowed_ips: key.allowedIps,
        expires_at: key.expiresAt,
        rate_limit: key.rateLimit,
        created_by: key.createdByKeyId,
        revoked_at: null,
        last_used_at: null,
        last_used_ip: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.db
      .insertInto('api_key_secrets')
      .values({ digest: key.digest, key_id: row.id, display_prefix: key.prefix, expires_at: null })
      .execute();
    return toApiKey(row);
  }

  async get(id: string): Promise<ApiKey | null> {
    if (!isUuid(id)) return null;
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toApiKey(row) : null;
  }

  async findCredential(digest: string): Promise<ApiKeyCredential | null> {
    const row = await this.db
      .selectFrom('api_key_secrets as s')
      .innerJoin('api_keys as k', 'k.id', 's.key_id')
      .selectAll('k')
      .select(['s.digest as secret_digest', 's.expires_at as secret_expires_at'])
      .where('s.digest', '=', digest)
      .executeTakeFirst();
    if (!row) return null;
    return { key: toApiKey(row), digest: row.secret_digest, secretExpiresAt: row.secret_expires_at };
  }

  async list(options: { includeRevoked: boolean }, page: PageRequest): Promise<Page<ApiKey>> {
    let query = this.db.selectFrom('api_keys').selectAll();
    if (!options.includeRevoked) query = query.where('revoked_at', 'is', null);
    return newestFirstPage(query, { createdAt: 'created_at', id: 'id' }, page, toApiKey);
  }

  async update(id: string, patch: ApiKeyPatch): Promise<ApiKey> {
    const row = await this.db
      .updateTable('api_keys')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.scopes !== undefined ? { scopes: patch.scopes } : {}),
        ...(patch.projectNames !== undefined ? { project_names: patch.projectNames } : {}),
        ...(patch.allowedIps !== undefined ? { allowed_ips: patch.allowedIps } : {}),
        ...(patch.expiresAt !== undefined ? { expires_at: patch.expiresAt } : {}),
        ...(patch.rateLimit !== undefined ? { rate_limit: patch.rateLimit } : {}),
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new NotFoundError('ApiKey', id);
    return toApiKey(row);
  }

  async rotate(
    id: string,
    secret: { digest: string; prefix: string },
    oldSecretsExpireAt: Date,
  ): Promise<ApiKey> {
    await this.db
      .updateTable('api_key_secrets')
      .set({ expires_at: oldSecretsExpireAt })
      .where('key_id', '=', id)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', oldSecretsExpireAt)]))
      .execute();
    await this.db
      .insertInto('api_key_secrets')
      .values({ digest: secret.digest, key_id: id, display_prefix: secret.prefix, expires_at: null })
      .execute();
    const row = await this.db
      .updateTable('api_keys')
      .set({ display_prefix: secret.prefix, updated_at: sql`now()` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new NotFoundError('ApiKey', id);
    return toApiKey(row);
  }

  async revoke(id: string, at: Date): Promise<ApiKey> {
    const row = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: sql`coalesce(revoked_at, ${at})`, updated_at: sql`now()` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new NotFoundError('ApiKey', id);
    return toApiKey(row);
  }

  async touch(id: string, at: Date, ip: string): Promise<void> {
    await this.db
      .updateTable('api_keys')
      .set({ last_used_at: at, last_used_ip: ip })
      .where('id', '=', id)
      .execute();
  }
}

function toApiKey(row: Selectable<ApiKeysTable>): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.display_prefix,
    scopes: row.scopes as Scope[],
    projectNames: row.project_names,
    allowedIps: row.allowed_ips,
    expiresAt: row.expires_at,
    rateLimit: row.rate_limit,
    createdByKeyId: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    lastUsedIp: row.last_used_ip,
  };
}
