import { type ASTNode, BREAK, type DocumentNode, GraphQLError, getOperationAST, Kind, visit } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { findNul, NUL_MESSAGE } from '../domain/input-text.js';
import { refuseBeforeExecution } from './refuse-before-execution.js';

/**
 * Refuses a query or subscription whose variables or literal arguments hold a NUL character,
 * before any resolver runs: one check for every argument of every field (filters included, which
 * no zod schema reads), so no string can reach a query where PostgreSQL would fail on it.
 * Answered as `VALIDATION_FAILED`, naming the variable or argument.
 */
export function useInputTextGuard(): Plugin {
  const check = (args: {
    document: DocumentNode;
    operationName?: string | null;
    variableValues?: Record<string, unknown> | null;
  }) => {
    // Mutations answer invalid input in their result unions (`ValidationFailedError`, naming the
    // field), which `parseInput` gives for a NUL as for any invalid value, and every id they take
    // is decoded through `decodeId`: refusing the whole operation here would take that answer away.
    if (getOperationAST(args.document, args.operationName)?.operation === 'mutation') return null;
    const inVariables = findNul(args.variableValues ?? null);
    const found = inVariables ? ['variables', ...inVariables] : literalWithNul(args.document);
    if (!found) return null;
    // A path through deeply nested input is named by its start and end only.
    const path = found.length > 12 ? [...found.slice(0, 6), '…', ...found.slice(-5)] : found;
    return {
      errors: [
        new GraphQLError(`Invalid input: ${path.join('.')} ${NUL_MESSAGE}.`, {
          extensions: { code: 'VALIDATION_FAILED', issues: [{ path: path.join('.'), message: NUL_MESSAGE }] },
        }),
      ],
    };
  };
  return refuseBeforeExecution(check);
}

/** Where a literal string (an argument's, or a variable's default) holds a NUL character, or null. */
function literalWithNul(document: DocumentNode): string[] | null {
  let found: string[] | null = null;
  visit(document, {
    StringValue(node, _key, _parent, _path, ancestors) {
      if (found || !node.value.includes('\u0000')) return;
      const owner = [...ancestors]
        .reverse()
        .find(
          (a): a is ASTNode =>
            !Array.isArray(a) &&
            (a as ASTNode).kind !== undefined &&
            ((a as ASTNode).kind === Kind.ARGUMENT || (a as ASTNode).kind === Kind.VARIABLE_DEFINITION),
        );
      if (owner?.kind === Kind.ARGUMENT) found = ['argument', owner.name.value];
      else if (owner?.kind === Kind.VARIABLE_DEFINITION) found = ['variables', owner.variable.name.value];
      else found = ['document'];
      return BREAK;
    },
  });
  return found;
}
