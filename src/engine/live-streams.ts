import { grantsNarrowed } from '../domain/authorization.js';
import { DomainError, ForbiddenError, RateLimitedError } from '../domain/errors.js';
import type { KeyPrincipal } from '../domain/principal.js';

/**
 * What every transport registers while it streams to a client: a subscription (graphql-ws,
 * GraphQL over SSE, the legacy SSE route) or a graphql-ws connection opened with a key.
 */
export interface LiveStream {
  /** `subscription`s count against the caps; a `connection` only ends with its key. */
  kind: 'subscription' | 'connection';
  /**
   * Who opened it; `null` for an anonymous subscription. Kept current: each sweep writes the
   * key's present scopes and projects into it, so a stream that filters its events by the
   * principal (one spanning projects) stops showing what the key may no longer see.
   */
  principal: KeyPrincipal | null;
  clientIp: string;
  /**
   * Runs the stream's own authorisation again for the key's powers now; throws a DomainError
   * (FORBIDDEN, NOT_FOUND) when it may no longer go on. Called only when the key lost a scope or
   * a project.
   */
  recheck?(principal: KeyPrincipal): Promise<void>;
  /**
   * Ends the stream the transport's way (graphql-ws: close 4403 when the key no longer
   * authenticates; SSE: an error event, then the end), with the error that says why.
   */
  end(error: DomainError): void;
}

export interface LiveStreamsDeps {
  /** The key as it stands now, through the authentication cache. */
  current(digest: string, request: { clientIp: string; requestId: string }): Promise<KeyPrincipal>;
  /** Open subscriptions one key may hold on this replica, over all transports. */
  maxPerKey: number;
  /** Open subscriptions without a key one client IP may hold on this replica. */
  maxAnonymousPerIp: number;
  /** A check that could not be made (the database is down); the stream is kept. */
  onCheckFailed?(error: unknown): void;
}

const NO_LONGER_ALLOWED = "The API key's scopes or projects changed and no longer allow this stream.";

/**
 * The one registry of live streams on this replica, whatever their transport. It enforces the
 * subscription caps when a stream opens, and `sweep` checks the streams against their keys'
 * current state: a key that no longer authenticates (revoked, expired, outside its IP allow-list)
 * ends all of them with UNAUTHENTICATED; one that lost a scope or project ends those it no longer
 * allows with FORBIDDEN.
 */
export class LiveStreams {
  private readonly streams = new Set<LiveStream>();

  constructor(private readonly deps: LiveStreamsDeps) {}

  get size(): number {
    return this.streams.size;
  }

  /**
   * Registers a stream; returns the function that unregisters it. Throws RATE_LIMITED past a cap.
   * Counted and registered in one synchronous step, so a burst of subscriptions cannot all pass
   * on the same count.
   */
  open(stream: LiveStream): () => void {
    if (stream.kind === 'subscription') {
      const { principal } = stream;
      const held = this.count((s) =>
        principal ? s.principal?.keyId === principal.keyId : !s.principal && s.clientIp === stream.clientIp,
      );
      const cap = principal ? this.deps.maxPerKey : this.deps.maxAnonymousPerIp;
      if (held >= cap) {
        throw new RateLimitedError(1, {
          message: principal
            ? `This API key already holds ${cap} open subscriptions.`
            : `Without an API key, one address may hold ${cap} open subscriptions.`,
          limit: cap,
        });
      }
    }
    this.streams.add(stream);
    return () => this.streams.delete(stream);
  }

  /** Open subscriptions of a key on this replica. */
  countForKey(keyId: string): number {
    return this.count((s) => s.principal?.keyId === keyId);
  }

  /**
   * Checks the streams of `keyIds` (all keyed streams when absent) against their keys as they
   * stand now and ends those no longer allowed. Returns how many ended.
   */
  async sweep(keyIds?: ReadonlySet<string>): Promise<number> {
    const groups = new Map<string, LiveStream[]>();
    for (const s of this.streams) {
      if (!s.principal || (keyIds && !keyIds.has(s.principal.keyId))) continue;
      const id = `${s.principal.credentialId} ${s.clientIp}`;
      groups.set(id, [...(groups.get(id) ?? []), s]);
    }
    const ended = await Promise.all([...groups.values()].map((group) => this.sweepGroup(group)));
    return ended.reduce((a, b) => a + b, 0);
  }

  private async sweepGroup(group: LiveStream[]): Promise<number> {
    const { credentialId, requestId } = group[0]!.principal!;
    let now: KeyPrincipal;
    try {
      now = await this.deps.current(credentialId, { clientIp: group[0]!.clientIp, requestId });
    } catch (error) {
      if (!(error instanceof DomainError)) {
        this.deps.onCheckFailed?.(error);
        return 0;
      }
      for (const s of group) this.finish(s, error);
      return group.length;
    }
    let ended = 0;
    for (const s of group) {
      const before = s.principal!;
      if (s.recheck && grantsNarrowed(before, now)) {
        try {
          await s.recheck(now);
        } catch (error) {
          if (!(error instanceof DomainError)) {
            this.deps.onCheckFailed?.(error);
            continue;
          }
          this.finish(s, new ForbiddenError(NO_LONGER_ALLOWED, { reason: error.code }));
          ended++;
          continue;
        }
      }
      Object.assign(before, {
        scopes: now.scopes,
        projectNames: now.projectNames,
        allowedIps: now.allowedIps,
        expiresAt: now.expiresAt,
        secretExpiresAt: now.secretExpiresAt,
        rateLimit: now.rateLimit,
      });
    }
    return ended;
  }

  private finish(stream: LiveStream, error: DomainError): void {
    this.streams.delete(stream);
    stream.end(error);
  }

  private count(match: (s: LiveStream) => boolean): number {
    let n = 0;
    for (const s of this.streams) if (s.kind === 'subscription' && match(s)) n++;
    return n;
  }
}
