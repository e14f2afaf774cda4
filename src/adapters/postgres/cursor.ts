import { ValidationError } from '../../domain/errors.js';

/** Opaque keyset cursors: base64url of a JSON array of the sort key's values. */
export function encodeCursor(values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string, arity: number): (string | number)[] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === arity &&
      parsed.every((v) => typeof v === 'string' || typeof v === 'number')
    ) {
      return parsed;
    }
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError([{ path: 'after', message: 'is not a cursor returned by this API' }]);
}
