import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DEFAULT_PAGE_SIZE } from '../domain/page.js';
import { estimatedCost } from './estimated-cost.js';
import { refuseBeforeExecution } from './refuse-before-execution.js';

/** What a client refused for cost can do about it; said by both cost checks. */
export const COST_LIMIT_HINT =
  `Lists count the items they return: a connection without \`first\` counts ${DEFAULT_PAGE_SIZE}, ` +
  '`Command.output` 100, and `nodes` one per id. Ask for fewer items with `first` and page with `after`.';

/**
 * The cost limit on what an operation will really fetch. graphql-armor's limit runs at validation,
 * whose result is cached per document, so it cannot see variables and it counts only literal
 * `first` arguments: a connection left at its default page size, or sized by a variable, cost as
 * one item. This check runs when the operation executes (and when a subscription starts), with the
 * variables it was sent.
 */
export function useCostLimit(maxCost: number): Plugin {
  const check = (args: {
    schema: Parameters<typeof estimatedCost>[0];
    document: Parameters<typeof estimatedCost>[1];
    operationName?: string | null;
    variableValues?: Record<string, unknown> | null;
  }) => {
    const cost = estimatedCost(args.schema, args.document, args.operationName, args.variableValues);
    if (cost <= maxCost) return null;
    return {
      errors: [
        new GraphQLError(
          `Query cost limit of ${maxCost} exceeded, found ${Math.ceil(cost)}. ${COST_LIMIT_HINT}`,
          { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
        ),
      ],
    };
  };
  return refuseBeforeExecution(check);
}
