/**
 * The one way the shared SQL writes. Every write, even a single statement, runs in a transaction begun by
 * the dialect's driver: on SQLite that is `BEGIN IMMEDIATE` (the write lock taken up front, so a second
 * process waits at the start instead of failing with SQLITE_BUSY_SNAPSHOT halfway through, and the wait
 * does not block the event loop); on PostgreSQL a plain `BEGIN` at READ COMMITTED, where row locks
 * serialise the writers and a waiting statement re-reads the row it waited for.
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../database-schema.ts'

/**
 * Runs `work` in one write transaction: committed when it resolves, rolled back when it throws.
 *
 * @example
 * const changed = await runWriteTransaction(db, async (trx) => {
 *   const result = await trx.updateTable('users').set({ disabled: 1 }).where('id', '=', id).executeTakeFirst()
 *   return result.numUpdatedRows > 0n
 * })
 */
export async function runWriteTransaction<T>(
  db: Kysely<Database>,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  return await db.transaction().execute(work)
}
