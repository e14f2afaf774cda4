import { type SelectQueryBuilder, sql } from 'kysely';
import type { Page, PageRequest } from '../../domain/page.js';
import { decodeCursor, encodeCursor } from './cursor.js';

/**
 * One page of a list ordered newest first: by creation time, then id, both descending. The
 * cursors are keysets (the creation time and id of a row), so a page after a cursor starts right
 * after that row however many rows were added or removed meanwhile. `columns` name the two
 * columns as the query knows them (qualified when it joins).
 */
export async function newestFirstPage<DB, TB extends keyof DB, O, T extends { createdAt: Date; id: string }>(
  query: SelectQueryBuilder<DB, TB, O>,
  columns: { createdAt: string; id: string },
  page: PageRequest,
  toItem: (row: O) => T,
): Promise<Page<T>> {
  const createdAt = sql.ref(columns.createdAt);
  const id = sql.ref(columns.id);
  let paged = query;
  if (page.after) {
    const [at, afterId] = decodeCursor(page.after, 2);
    const when = new Date(String(at));
    paged = paged.where(
      sql<boolean>`(${createdAt} < ${when} OR (${createdAt} = ${when} AND ${id} < ${String(afterId)}))`,
    );
  }
  const rows = await paged
    .orderBy(createdAt, 'desc')
    .orderBy(id, 'desc')
    .limit(page.first + 1)
    .execute();
  const items = rows.slice(0, page.first).map((row) => toItem(row as O));
  return {
    items,
    cursors: items.map((item) => encodeCursor([item.createdAt.toISOString(), item.id])),
    hasNextPage: rows.length > page.first,
  };
}

/**
 * One page of a list ordered by id, highest first, for tables whose ids grow with time (audit
 * events, delivery attempts). The cursor is the last id seen.
 */
export async function highestIdFirstPage<DB, TB extends keyof DB, O, T extends { id: string | number }>(
  query: SelectQueryBuilder<DB, TB, O>,
  idColumn: string,
  page: PageRequest,
  toItem: (row: O) => T,
): Promise<Page<T>> {
  const id = sql.ref(idColumn);
  let paged = query;
  if (page.after) {
    const [afterId] = decodeCursor(page.after, 1);
    paged = paged.where(sql<boolean>`${id} < ${String(afterId)}`);
  }
  const rows = await paged
    .orderBy(id, 'desc')
    .limit(page.first + 1)
    .execute();
  const items = rows.slice(0, page.first).map((row) => toItem(row as O));
  return {
    items,
    cursors: items.map((item) => encodeCursor([item.id])),
    hasNextPage: rows.length > page.first,
  };
}
