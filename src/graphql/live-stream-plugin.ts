import { type ExecutionArgs, type ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DomainError, ForbiddenError } from '../domain/errors.js';
import type { KeyPrincipal } from '../domain/principal.js';
import type { LiveStreams } from '../engine/live-streams.js';
import type { GraphQLContext } from './context.js';

/**
 * Set by the graphql-ws edge on an operation authenticated by its connection's key: a key that no
 * longer authenticates closes the whole connection (4403), not only this subscription.
 */
export interface ConnectionCloser {
  closeConnection?(code: number, reason: string): void;
}

/**
 * Registers every GraphQL subscription, on every transport, with the live-stream registry: the
 * caps apply when it starts, and a sweep that finds its key changed can end it. To decide whether
 * a stream may go on, its own `subscribe` runs again with the key's current powers (the same
 * authorisation the service made when it started) and is closed at once.
 */
export function useLiveStreams(streams: LiveStreams): Plugin {
  return {
    onSubscribe: ({ args, subscribeFn, setSubscribeFn }) => {
      const ctx = args.contextValue as unknown as GraphQLContext & ConnectionCloser;
      const principal = ctx.principal?.kind === 'key' ? ctx.principal : null;
      setSubscribeFn(async (subscribeArgs) => {
        const guard = new StreamGuard(ctx);
        const close = streams.open({
          kind: 'subscription',
          principal,
          clientIp: ctx.clientIp,
          recheck: principal ? (now) => recheck(subscribeFn, subscribeArgs, now) : undefined,
          end: (error) => guard.end(error),
        });
        let result: unknown;
        try {
          result = await subscribeFn(subscribeArgs);
        } catch (error) {
          close();
          throw error;
        }
        if (typeof result !== 'object' || result === null || !(Symbol.asyncIterator in result)) {
          close();
          return result as never;
        }
        return guard.wrap(result as AsyncIterableIterator<unknown>, close) as never;
      });
    },
  };
}

/** The subscription's own authorisation, run again for `principal`; its first refusal is thrown. */
async function recheck(
  subscribeFn: (args: ExecutionArgs) => unknown,
  args: ExecutionArgs,
  principal: KeyPrincipal,
): Promise<void> {
  const contextValue = { ...(args.contextValue as object), principal };
  const result = (await subscribeFn({ ...args, contextValue })) as
    | AsyncIterableIterator<unknown>
    | ExecutionResult;
  if (Symbol.asyncIterator in result) {
    await result.return?.();
    return;
  }
  const error = result.errors?.[0];
  if (!error) return;
  const original = error.originalError;
  if (original instanceof DomainError) throw original;
  throw new ForbiddenError(error.message);
}

/** Ends a subscription from outside: with an error event, or by closing its connection. */
class StreamGuard {
  private ended: DomainError | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly ctx: ConnectionCloser) {}

  end(error: DomainError): void {
    if (error.code === 'UNAUTHENTICATED' && this.ctx.closeConnection) {
      this.ctx.closeConnection(
        4403,
        'Forbidden: the API key was revoked, has expired or is not allowed here',
      );
    }
    this.ended = error;
    this.wake?.();
  }

  wrap(source: AsyncIterableIterator<unknown>, unregister: () => void): AsyncIterableIterator<unknown> {
    const iterator = source[Symbol.asyncIterator]();
    let sentEnd = false;
    const stop = () => {
      unregister();
      void iterator.return?.();
    };
    // Made when needed: an error made up front, with its captured stack, would cost every open
    // subscription about a kilobyte and a half.
    const endEvent = (error: DomainError) => {
      stop();
      sentEnd = true;
      return {
        done: false,
        value: { errors: [new GraphQLError(error.message, { extensions: { code: error.code } })] },
      } as const;
    };
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      next: async () => {
        if (sentEnd) return { done: true, value: undefined };
        if (this.ended) return endEvent(this.ended);
        const endedSignal = new Promise<'ended'>((resolve) => {
          this.wake = () => resolve('ended');
        });
        const result = await Promise.race([iterator.next(), endedSignal]);
        this.wake = null;
        if (result === 'ended') return endEvent(this.ended!);
        if (result.done) unregister();
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
