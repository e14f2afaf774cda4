import { SCOPES, type Scope, scopeEnumName } from '../../domain/scopes.js';
import { builder } from '../builder.js';

/** `commands:run:claude` is `COMMANDS_RUN_CLAUDE` in GraphQL; values map back to the scope text. */
export const ScopeEnum = builder.enumType('Scope', {
  description: 'What an API key may do. Each value stands for the scope text shown in its description.',
  values: Object.fromEntries(
    SCOPES.map((scope) => [scopeEnumName(scope), { value: scope, description: `\`${scope}\`` }]),
  ) as Record<string, { value: Scope }>,
});
