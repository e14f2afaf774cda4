import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from './context.js';

interface Live {
  keyId: string;
  credentialId: string;
  end(): void;
  /** Ended (revoked) while its stream was still being set up. */
  endedEarly?: boolean;
}

/**
 * Tracks every running subscription of every transport by the credential that opened it, so a
 * revoked or expired key's subscriptions can be ended (with an UNAUTHENTICATED error) wherever
 * they run. The periodic check that decides which to end lives in the credential sweeper.
 */
export class LiveSubscriptions {
  private readonly live = new Set<Live>();

  /** Distinct credentials with at least one open subscription. */
  credentials(): string[] {
    return [...new Set([...this.live].map((l) => l.credentialId))];
  }

  /** Ends every subscription opened with one of `credentialIds`; returns the key ids affected. */
  end(credentialIds: ReadonlySet<string>): Set<string> {
    const keys = new Set<string>();
    for (const l of this.live) {
      if (credentialIds.has(l.credentialId)) {
        keys.add(l.keyId);
        l.end();
      }
    }
    return keys;
  }

  get size(): number {
    return this.live.size;
  }

  /** Subscriptions open for a key on this replica. */
  countForKey(keyId: string): number {
    let n = 0;
    for (const l of this.live) if (l.keyId === keyId) n++;
    return n;
  }

  /**
   * Registers a stream served outside GraphQL (the legacy SSE route), so revocation ends it too.
   * Returns the function that unregisters it.
   */
  track(principal: { keyId: string; credentialId: string }, end: () => void): () => void {
    const entry: Live = { keyId: principal.keyId, credentialId: principal.credentialId, end };
    this.live.add(entry);
    return () => this.live.delete(entry);
  }

  /** The envelop plugin; refuses a key's subscription past `maxPerKey` open ones. */
  plugin(maxPerKey = Number.POSITIVE_INFINITY): Plugin {
    return {
      onSubscribe: ({ args, subscribeFn, setSubscribeFn }) => {
        const principal = (args.contextValue as unknown as GraphQLContext).principal;
        if (principal?.kind !== 'key') return;
        // Counted and taken in one synchronous step when the subscription starts: checked in the
        // hook and registered once the stream exists, many subscribe messages sent at once would
        // all see the same count and all pass.
        setSubscribeFn(async (subscribeArgs) => {
          if (this.countForKey(principal.keyId) >= maxPerKey) {
            throw new GraphQLError(`This API key already holds ${maxPerKey} open subscriptions.`, {
              extensions: { code: 'RATE_LIMITED', limit: maxPerKey },
            });
          }
          const entry: Live = {
            keyId: principal.keyId,
            credentialId: principal.credentialId,
            end: () => {
              entry.endedEarly = true;
            },
          };
          this.live.add(entry);
          let result: unknown;
          try {
            result = await subscribeFn(subscribeArgs);
          } catch (error) {
            this.live.delete(entry);
            throw error;
          }
          if (typeof result !== 'object' || result === null || !(Symbol.asyncIterator in result)) {
            this.live.delete(entry);
            return result as never;
          }
          return this.guard(result as AsyncIterableIterator<unknown>, entry) as never;
        });
      },
    };
  }

  private guard(source: AsyncIterableIterator<unknown>, entry: Live): AsyncIterableIterator<unknown> {
    let ended = entry.endedEarly === true;
    let wake: (() => void) | null = null;
    entry.end = () => {
      ended = true;
      wake?.();
    };
    const iterator = source[Symbol.asyncIterator]();
    const stop = () => {
      this.live.delete(entry);
      void iterator.return?.();
    };
    // Made when needed: an error made up front, with its captured stack, would cost every open
    // subscription about a kilobyte and a half.
    const revoked = () =>
      new GraphQLError('The API key was revoked or has expired.', {
        extensions: { code: 'UNAUTHENTICATED' },
      });
    let sentRevocation = false;
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      next: async () => {
        if (ended) {
          stop();
          if (sentRevocation) return { done: true, value: undefined };
          sentRevocation = true;
          return { done: false, value: { errors: [revoked()] } };
        }
        const endedSignal = new Promise<'ended'>((resolve) => {
          wake = () => resolve('ended');
        });
        const result = await Promise.race([iterator.next(), endedSignal]);
        wake = null;
        if (result === 'ended') {
          stop();
          sentRevocation = true;
          return { done: false, value: { errors: [revoked()] } };
        }
        if (result.done) this.live.delete(entry);
        return result;
      },
      return: async () => {
        stop();
        return { done: true, value: undefined };
      },
      throw: async (error?: unknown) => {
        stop();
        throw error;
      },
    };
  }
}
