import type { Scope } from './scopes.js';

/**
 * Who is acting. Requests act for an API key; background work (the dispatcher, discovery, the
 * webhook worker) acts as the system. Services take the actor first in every method.
 */
export interface KeyPrincipal {
  kind: 'key';
  keyId: string;
  keyName: string;
  /** Digest of the secret used: lets open subscriptions be ended when that secret stops working. */
  credentialId: string;
  scopes: ReadonlySet<Scope>;
  /** Project names the key may touch; `null` means every project. */
  projectNames: readonly string[] | null;
  allowedIps: readonly string[];
  /**
   * When this caller stops working: the earlier of the key's expiry and the secret's (a secret
   * rotated out expires at the end of its grace period); `null` when neither expires. Keys it
   * creates expire no later.
   */
  expiresAt: Date | null;
  /**
   * Set when the secret used was rotated out and works only until then. Such a secret may still
   * use the key, but not rotate, revoke or change it: else the old holder could take the key back
   * from the holder of the new secret.
   */
  secretExpiresAt?: Date | null;
  /** Requests per rate-limit window; `null` for the configured default. */
  rateLimit?: number | null;
  clientIp: string;
  requestId: string;
}

export interface SystemPrincipal {
  kind: 'system';
  component: string;
  requestId: string;
}

export type Principal = KeyPrincipal | SystemPrincipal;

export function systemPrincipal(component: string, requestId = `system-${component}`): SystemPrincipal {
  return { kind: 'system', component, requestId };
}
