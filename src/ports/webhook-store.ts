import type { Page, PageRequest } from '../domain/page.js';
import type { NewWebhook, Webhook, WebhookPatch } from '../domain/webhook.js';

/** Persistence of webhooks (endpoints) and their signing secrets. */
export interface WebhookStore {
  /** Stores a new webhook with its first secret. */
  create(webhook: NewWebhook, secret: string, at: Date): Promise<Webhook>;
  get(id: string): Promise<Webhook | null>;
  /**
   * Newest first. `withinProjects` (a project-limited caller) keeps only webhooks whose project
   * filter lies inside those projects; `null` lists all.
   */
  list(filter: { withinProjects: readonly string[] | null }, page: PageRequest): Promise<Page<Webhook>>;
  /** Applies a patch. Enabling clears the disabled reason and the failure run. `null` when there is no such webhook. */
  update(id: string, patch: WebhookPatch, at: Date): Promise<Webhook | null>;
  /** Deletes the webhook with its secrets, deliveries and attempts; false when there was none. */
  delete(id: string): Promise<boolean>;
  /**
   * Adds `secret` as the current one; every older secret keeps signing until
   * `previousSecretsExpireAt` (equal to `at` to stop them at once). Secrets already past
   * their expiry are removed.
   */
  rotateSecret(id: string, secret: string, at: Date, previousSecretsExpireAt: Date): Promise<Webhook | null>;
  /** Secrets that sign at `now`, newest first, as stored (sealed by a `SecretBox` or not). */
  activeSecrets(id: string, now: Date): Promise<string[]>;
  /** Every stored secret of every webhook, as stored, with the id of its row. */
  storedSecrets(): Promise<{ id: string; secret: string }[]>;
  /** Stores `to` in place of the secret row's value if it still is `from`; false otherwise. */
  replaceStoredSecret(id: string, from: string, to: string): Promise<boolean>;
  /**
   * A success ends the failure run. Writes nothing when none is running, so the many successful
   * deliveries of one webhook do not queue up on its row.
   */
  recordSuccess(id: string): Promise<void>;
  /** A failure starts a failure run at `at` unless one is running; returns the webhook as it now is. */
  recordFailure(id: string, at: Date): Promise<Webhook | null>;
  /** Disables the webhook with a reason for people to read; `null` when there is no such webhook. */
  disable(id: string, reason: string, at: Date): Promise<Webhook | null>;
}
