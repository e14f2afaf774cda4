import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { RateLimitDecision } from '../domain/rate-limit.js';
import { type RateLimiter, rateLimitHeaders } from '../engine/rate-limiter.js';
import type { GraphQLContext } from './context.js';
import { operationCost } from './operation-cost.js';

/**
 * Rate limits every GraphQL operation on every transport, weighted by its cost, and puts the
 * RateLimit headers on HTTP responses. Over the limit: RATE_LIMITED with `retryAfterSeconds`
 * (and HTTP 429 with `Retry-After`).
 */
export function useRateLimit(limiter: RateLimiter): Plugin {
  const decisions = new WeakMap<Request, RateLimitDecision>();

  const check = async (ctx: GraphQLContext & { request?: Request }, cost: number) => {
    const decision = await limiter.checkCaller(ctx.principal, ctx.clientIp, cost);
    if (ctx.request) decisions.set(ctx.request, decision);
    if (!decision.allowed) {
      throw new GraphQLError(`Rate limit exceeded; retry after ${decision.resetSeconds} s.`, {
        extensions: {
          code: 'RATE_LIMITED',
          retryAfterSeconds: decision.resetSeconds,
          http: { status: 429, headers: rateLimitHeaders(decision) },
        },
      });
    }
  };

  return {
    onExecute: async ({ args }) => {
      await check(
        args.contextValue as unknown as GraphQLContext,
        operationCost(args.document, args.operationName),
      );
    },
    onSubscribe: async ({ args }) => {
      await check(
        args.contextValue as unknown as GraphQLContext,
        operationCost(args.document, args.operationName),
      );
    },
    onResponse: ({ request, response }) => {
      const decision = decisions.get(request);
      if (!decision) return;
      for (const [name, value] of Object.entries(rateLimitHeaders(decision)))
        response.headers.set(name, value);
    },
  };
}
