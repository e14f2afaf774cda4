import type { z } from 'zod';
import { ValidationError } from '../domain/errors.js';
import { findNul, NUL_MESSAGE } from '../domain/input-text.js';

/**
 * Parses input with a zod schema; every problem becomes one `ValidationIssue` naming its field.
 * No string anywhere in the input may hold a NUL character, whatever the schema says.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const nul = findNul(input);
  if (nul) throw new ValidationError([{ path: nul.join('.'), message: NUL_MESSAGE }]);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  );
}
