import type { ApiKey, ApiKeyCredential } from '../domain/api-key.js';
import type { Page, PageRequest } from '../domain/page.js';
import type { Scope } from '../domain/scopes.js';

export interface NewApiKey {
  name: string;
  scopes: Scope[];
  projectNames: string[] | null;
  allowedIps: string[];
  expiresAt: Date | null;
  rateLimit: number | null;
  createdByKeyId: string | null;
  /** The first secret. */
  digest: string;
  prefix: string;
}

export interface ApiKeyPatch {
  name?: string;
  scopes?: Scope[];
  projectNames?: string[] | null;
  allowedIps?: string[];
  expiresAt?: Date | null;
  rateLimit?: number | null;
}

/** Persistence of API keys and their secret digests. Secrets themselves never reach it. */
export interface ApiKeyStore {
  /** Number of keys ever created (revoked included): zero means the database is new. */
  count(): Promise<number>;
  /** Serialises first-start bootstrap between replicas (held until the transaction ends). */
  lockBootstrap(): Promise<void>;
  create(key: NewApiKey): Promise<ApiKey>;
  get(id: string): Promise<ApiKey | null>;
  /** The key holding the secret with this digest, whatever its state. */
  findCredential(digest: string): Promise<ApiKeyCredential | null>;
  /** Newest first. `within` restricts to key ids (null: all). */
  list(options: { includeRevoked: boolean }, page: PageRequest): Promise<Page<ApiKey>>;
  update(id: string, patch: ApiKeyPatch): Promise<ApiKey>;
  /** Adds a new secret and makes every older secret of the key expire at `oldSecretsExpireAt`. */
  rotate(id: string, secret: { digest: string; prefix: string }, oldSecretsExpireAt: Date): Promise<ApiKey>;
  revoke(id: string, at: Date): Promise<ApiKey>;
  /** Records use; callers throttle it. */
  touch(id: string, at: Date, ip: string): Promise<void>;
}
