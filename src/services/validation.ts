import type { z } from 'zod';
import { ValidationError } from '../domain/errors.js';

/** Parses input with a zod schema; every problem becomes one `ValidationIssue` naming its field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  );
}
