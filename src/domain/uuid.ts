/** The textual form of a UUID, any case. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `id` can be a row id. Ids come from clients; one that is not a UUID names no row, and
 * is answered as such without a query that PostgreSQL would refuse.
 */
export function isUuid(id: string): boolean {
  return UUID_PATTERN.test(id);
}
