import type { ExecutionArgs, ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * A plugin that looks at each operation, query, mutation or subscription alike, once its variables
 * are known and before any resolver runs, and answers it with `check`'s result instead when that
 * is not null.
 */
export function refuseBeforeExecution(check: (args: ExecutionArgs) => ExecutionResult | null): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = check(args);
      if (refused) setResultAndStopExecution(refused);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = check(args);
      if (refused) setResultAndStopExecution(refused);
    },
  };
}
