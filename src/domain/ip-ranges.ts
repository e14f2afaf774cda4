import ipaddr from 'ipaddr.js';

export type IpRange = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Normalises an address: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes plain IPv4. */
export function normaliseIp(address: string): string | null {
  if (!ipaddr.isValid(address)) return null;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (parsed as ipaddr.IPv6).toIPv4Address().toString();
  }
  return parsed.toString();
}

export function parseCidr(cidr: string): IpRange {
  if (cidr.includes('/')) return ipaddr.parseCIDR(cidr);
  const addr = ipaddr.parse(cidr);
  return [addr, addr.kind() === 'ipv4' ? 32 : 128];
}

/** True when `ip` is inside any of `ranges` (IPv4-mapped IPv6 matches IPv4 ranges and back). */
export function ipInRanges(ip: string, ranges: readonly IpRange[]): boolean {
  const normalised = normaliseIp(ip);
  if (normalised === null) return false;
  const addr = ipaddr.parse(normalised);
  for (const [rangeAddr, bits] of ranges) {
    let candidate: ipaddr.IPv4 | ipaddr.IPv6 = addr;
    let range: ipaddr.IPv4 | ipaddr.IPv6 = rangeAddr;
    if (range.kind() === 'ipv6' && (range as ipaddr.IPv6).isIPv4MappedAddress()) {
      range = (range as ipaddr.IPv6).toIPv4Address();
      if (candidate.kind() === 'ipv4' && candidate.match(range, Math.max(bits - 96, 0))) return true;
      continue;
    }
    if (candidate.kind() !== range.kind()) {
      if (candidate.kind() === 'ipv4' && range.kind() === 'ipv6')
        candidate = (candidate as ipaddr.IPv4).toIPv4MappedAddress();
      else continue;
    }
    if (candidate.match(range, bits)) return true;
  }
  return false;
}

/** True when `cidr` parses as an address or a CIDR range (IPv4 or IPv6). */
export function isValidCidr(cidr: string): boolean {
  try {
    parseCidr(cidr);
    return true;
  } catch {
    return false;
  }
}

/** True when every address of `inner` also lies in `outer`. */
export function rangeWithin(inner: string, outer: string): boolean {
  let [iAddr, iBits] = parseCidr(inner);
  let [oAddr, oBits] = parseCidr(outer);
  if (iAddr.kind() === 'ipv6' && (iAddr as ipaddr.IPv6).isIPv4MappedAddress()) {
    iAddr = (iAddr as ipaddr.IPv6).toIPv4Address();
    iBits = Math.max(iBits - 96, 0);
  }
  if (oAddr.kind() === 'ipv6' && (oAddr as ipaddr.IPv6).isIPv4MappedAddress()) {
    oAddr = (oAddr as ipaddr.IPv6).toIPv4Address();
    oBits = Math.max(oBits - 96, 0);
  }
  return iAddr.kind() === oAddr.kind() && iBits >= oBits && iAddr.match(oAddr, oBits);
}
