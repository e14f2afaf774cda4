import { ServiceUnavailableError } from '../../domain/errors.js';

// Connection failures and server shutdowns, by SQLSTATE (class 08, 57P0x) and by Node error code.
const UNAVAILABLE_CODES = new Set([
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connection error|Client was closed|Cannot use a pool after calling end|PGlite is closed/i;

/**
 * A database that cannot be reached is not a bug: it becomes SERVICE_UNAVAILABLE (503) with a
 * message a client can act on, instead of a masked internal error. Returns null for any other error.
 */
export function databaseUnavailable(error: unknown): ServiceUnavailableError | null {
  let e: unknown = error;
  for (let depth = 0; depth < 3 && e; depth++) {
    const code = (e as { code?: unknown }).code;
    const message = e instanceof Error ? e.message : '';
    if ((typeof code === 'string' && UNAVAILABLE_CODES.has(code)) || UNAVAILABLE_MESSAGES.test(message)) {
      return new ServiceUnavailableError('The database is unavailable right now; retry in a few seconds.');
    }
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}
