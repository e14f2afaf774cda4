import ipaddr from 'ipaddr.js';
import { addressRangeAllowed, describeAddressRange } from '../../domain/webhook-address-rules.js';

export interface AddressVerdict {
  allowed: boolean;
  /** The special-purpose range the address lies in (`unicast` for an ordinary public one). */
  range: string;
  /** Why it is refused, for a person; empty when allowed. */
  reason: string;
}

// Ordinary IPv6 unicast lives in 2000::/3; anything outside it that ipaddr.js still calls
// "unicast" (the deprecated IPv4-compatible ::a.b.c.d, unassigned space) is refused.
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/**
 * Classifies addresses with ipaddr.js against the domain's address rules. It parses every
 * spelling inet_aton accepts (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`), so a literal
 * that slipped past URL normalisation still lands in the right range.
 */
export class WebhookAddressPolicy {
  constructor(private readonly allowPrivate: boolean) {}

  check(address: string): AddressVerdict {
    let parsed: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      parsed = ipaddr.parse(address.replace(/^\[|\]$/g, ''));
    } catch {
      return this.refuse('invalid');
    }
    let range: string = parsed.range();
    if (parsed.kind() === 'ipv6') {
      const v6 = parsed as ipaddr.IPv6;
      if (range === 'ipv4Mapped' && this.allowPrivate) {
        // A dual-stack socket may report an IPv4 peer this way; judge the IPv4 address itself.
        return this.check(v6.toIPv4Address().toString());
      }
      if (range === 'unicast' && !v6.match(GLOBAL_UNICAST_V6)) {
        range = v6.parts.slice(0, 6).every((p) => p === 0) ? 'ipv4Compatible' : 'reserved';
      }
    }
    return addressRangeAllowed(range, this.allowPrivate)
      ? { allowed: true, range, reason: '' }
      : this.refuse(range);
  }

  private refuse(range: string): AddressVerdict {
    return { allowed: false, range, reason: describeAddressRange(range) };
  }
}
