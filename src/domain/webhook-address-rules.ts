/**
 * Which addresses a webhook may reach. Ranges are named as the IANA special-purpose registries
 * name them (and as ipaddr.js reports them): only ordinary public unicast is allowed. Loopback,
 * private (RFC 1918), link-local (169.254.0.0/16, where cloud metadata services live), carrier-
 * grade NAT, multicast, broadcast, reserved, unspecified, IPv4-mapped IPv6 and the other
 * special-purpose ranges are refused. Development and tests may also allow loopback and private
 * ranges (`RDEV_WEBHOOK_ALLOW_PRIVATE`); link-local stays refused even then.
 */
export const PUBLIC_RANGES: ReadonlySet<string> = new Set(['unicast']);

/** The extra ranges `RDEV_WEBHOOK_ALLOW_PRIVATE` opens. */
export const DEVELOPMENT_RANGES: ReadonlySet<string> = new Set(['loopback', 'private', 'uniqueLocal']);

export function addressRangeAllowed(range: string, allowPrivate: boolean): boolean {
  return PUBLIC_RANGES.has(range) || (allowPrivate && DEVELOPMENT_RANGES.has(range));
}

const DESCRIPTIONS: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private network address',
  uniqueLocal: 'a private (unique local) IPv6 address',
  linkLocal: 'a link-local address (where cloud metadata services live)',
  carrierGradeNat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
  unspecified: 'an unspecified address',
  ipv4Mapped: 'an IPv4-mapped IPv6 address',
  ipv4Compatible: 'an IPv4-compatible IPv6 address',
  invalid: 'an invalid address',
};

/** Words for a refused range, for error messages a person reads. */
export function describeAddressRange(range: string): string {
  return DESCRIPTIONS[range] ?? `a special-purpose address (${range})`;
}
