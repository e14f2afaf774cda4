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
  const result = schema.safeParse(input, { error: inputErrorMessage });
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  );
}

/**
 * zod's error map for service inputs: the library's defaults (`Too big: expected number to be
 * <=100`) in the voice of the hand-written messages (`must be at most 100`). A message a schema
 * sets itself wins over this; issues not listed keep zod's wording.
 */
export function inputErrorMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return issue.expected === 'int' ? 'must be an integer' : `must be ${article(issue.expected)}`;
    case 'too_big':
      return bound('most', issue.origin, Number(issue.maximum), issue.inclusive !== false);
    case 'too_small':
      if (Number(issue.minimum) === 1 && ['string', 'array', 'set'].includes(issue.origin)) {
        return 'must not be empty';
      }
      return bound('least', issue.origin, Number(issue.minimum), issue.inclusive !== false);
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_format':
      return 'is not in the expected format';
    case 'unrecognized_keys':
      return `unknown ${issue.keys.length === 1 ? 'field' : 'fields'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    default:
      return undefined;
  }
}

function bound(side: 'most' | 'least', origin: string, limit: number, inclusive: boolean): string {
  if (origin === 'array' || origin === 'set') return `must have at ${side} ${limit} items`;
  const unit = origin === 'string' ? ' characters' : '';
  if (inclusive) return `must be at ${side} ${limit}${unit}`;
  return `must be ${side === 'most' ? 'less' : 'more'} than ${limit}${unit}`;
}

function article(type: string): string {
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}
