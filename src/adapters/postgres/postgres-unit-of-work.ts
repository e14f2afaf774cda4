import type { Kysely } from 'kysely';
import type { TransactionalStores, UnitOfWork } from '../../ports/unit-of-work.js';
import type { Database } from './schema.js';

/** Builds the transactional stores over one Kysely handle (the pool, or a transaction). */
export type StoresFactory = (db: Kysely<Database>) => TransactionalStores;

export class PostgresUnitOfWork implements UnitOfWork {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly makeStores: StoresFactory,
  ) {}

  run<T>(fn: (stores: TransactionalStores) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => fn(this.makeStores(tx)));
  }
}
