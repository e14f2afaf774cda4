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

/**
 * Why a first connection to PostgreSQL failed, in words that say where to look; the driver's own
 * message follows in brackets.
 */
export function connectionFailure(error: unknown, url: string): string {
  const e = error as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const { hostname, port, pathname } = new URL(url);
  const where = `${hostname}:${port || '5432'}`;
  const reason: Record<string, string> = {
    ECONNREFUSED: `nothing accepts connections at ${where}`,
    ENOTFOUND: `the host name ${hostname} does not resolve`,
    EAI_AGAIN: `the host name ${hostname} does not resolve`,
    ETIMEDOUT: `${where} does not answer`,
    '28P01': 'the server refused the password',
    '28000': 'the server refused the user',
    '3D000': `the database ${decodeURIComponent(pathname.slice(1))} does not exist`,
  };
  const known = typeof e?.code === 'string' ? reason[e.code] : undefined;
  if (known) return `${known} (${message})`;
  if (/timeout exceeded when trying to connect/i.test(message))
    return `${where} does not answer (${message})`;
  return message;
}

/** The URL with its password masked, fit for a message. */
export function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** PostgreSQL's unique_violation (23505) on `constraint`; PGlite reports it the same way. */
export function uniqueViolationOf(error: unknown, constraint: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && (e.constraint === undefined || e.constraint === constraint);
}

/**
 * SQLSTATE classes of errors about the statement's own values: data exceptions (22), integrity
 * constraint violations (23, a trigger's or a check's refusal among them), syntax or access rule
 * violations (42), program limits such as a row too large (54) and PL/pgSQL's RAISE (P0). The
 * same statement fails the same way however often it is tried. Connection failures (08), server
 * shutdowns and cancels (57), conflicts (40), lack of resources (53) and the like may pass.
 */
const REJECTION_CLASSES = new Set(['22', '23', '42', '54', 'P0']);

/** Whether the database refused a statement for its values (see {@link REJECTION_CLASSES}). */
export function rejectedByDatabase(error: unknown): boolean {
  if (databaseUnavailable(error)) return false;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length === 5 && REJECTION_CLASSES.has(code.slice(0, 2));
}
