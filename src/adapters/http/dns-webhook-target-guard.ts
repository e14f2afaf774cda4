import { isIP } from 'node:net';
import { checkWebhookUrl } from '../../domain/webhook-url.js';
import type { HostResolver, WebhookTargetGuard } from '../../ports/webhook-target-guard.js';
import type { WebhookAddressPolicy } from './webhook-address-policy.js';

/**
 * The check a webhook URL passes before it is stored: the domain's shape rules, then every
 * address the host is or resolves to. It never opens a connection. Resolution can change later
 * (DNS rebinding), which is why the sender's connector checks again when it dials.
 */
export class DnsWebhookTargetGuard implements WebhookTargetGuard {
  constructor(
    private readonly deps: {
      policy: WebhookAddressPolicy;
      resolve: HostResolver;
      allowPrivate: boolean;
      resolveTimeoutMs?: number;
    },
  ) {}

  async check(url: string): Promise<string | null> {
    const shape = checkWebhookUrl(url, { allowPrivate: this.deps.allowPrivate });
    if (!shape.ok) return shape.message;
    const { host, ipLiteral } = shape.target;
    if (ipLiteral !== null || isIP(host)) {
      const verdict = this.deps.policy.check(ipLiteral ?? host);
      return verdict.allowed ? null : `must not point at ${verdict.reason} (${host})`;
    }
    let addresses: { address: string }[];
    try {
      addresses = await withTimeout(this.deps.resolve(host), this.deps.resolveTimeoutMs ?? 5_000);
    } catch {
      return `names a host that does not resolve (${host}); check the spelling, or try again if DNS is down`;
    }
    if (addresses.length === 0) return `names a host that does not resolve (${host})`;
    for (const { address } of addresses) {
      const verdict = this.deps.policy.check(address);
      if (!verdict.allowed) return `must not point at ${verdict.reason}: ${host} resolves to ${address}`;
    }
    return null;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
