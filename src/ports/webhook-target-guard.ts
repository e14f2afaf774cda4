/** An address a host name resolved to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (tests substitute their own DNS). */
export type HostResolver = (host: string) => Promise<ResolvedAddress[]>;

/**
 * Decides whether a URL may be a webhook target before it is stored: scheme, credentials, host
 * names that lead inside, and addresses (literal or resolved) in internal ranges. It resolves
 * names but never connects. The sender checks again at connect time.
 */
export interface WebhookTargetGuard {
  /** A message saying what is wrong with `url`, or `null` when it is acceptable. */
  check(url: string): Promise<string | null>;
}
