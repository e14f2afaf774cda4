import { decodeGlobalID } from '@pothos/plugin-relay';
import { NotFoundError } from '../domain/errors.js';

/** The local id inside a global ID of the expected type; anything else is simply not found. */
export function localId(globalId: string, typename: string): string {
  try {
    const decoded = decodeGlobalID(globalId);
    if (decoded.typename === typename && decoded.id.length > 0) return decoded.id;
  } catch {
    // fall through
  }
  throw new NotFoundError(typename, globalId);
}
