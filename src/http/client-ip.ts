import { type IpRange, ipInRanges, normaliseIp, parseCidr } from '../domain/ip-ranges.js';

/**
 * The client address of a request: the socket peer, unless that peer is a trusted proxy, in
 * which case the right-most `X-Forwarded-For` hop that is not itself a trusted proxy. A header
 * from an untrusted peer is ignored, so it cannot be used to dodge allow-lists or rate limits.
 */
export class ClientIpResolver {
  private readonly trusted: IpRange[];

  constructor(trustedProxies: readonly string[]) {
    this.trusted = trustedProxies.map(parseCidr);
  }

  resolve(socketAddress: string | undefined, forwardedFor: string | string[] | undefined): string {
    const peer = normaliseIp(socketAddress ?? '') ?? 'unknown';
    if (this.trusted.length === 0 || !ipInRanges(peer, this.trusted) || !forwardedFor) return peer;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normaliseIp(hops[i]!);
      if (hop === null) return peer;
      if (!ipInRanges(hop, this.trusted)) return hop;
    }
    return peer;
  }
}
