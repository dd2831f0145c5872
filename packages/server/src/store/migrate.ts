/**
 * Brings the schema to the newest version with Kysely's Migrator and the in-code migration list.
 *
 * Two processes starting at once apply each migration exactly once: on PostgreSQL Kysely holds an
 * advisory lock for the run; on SQLite our dialect (`sqlite/write-lock-dialect.ts`) makes the run one
 * `BEGIN IMMEDIATE` transaction, so the second process waits for the write lock and then finds nothing
 * left to do.
 */
import { type Kysely, type MigrationResult, Migrator } from 'kysely'
import type { Database } from './database-schema.ts'
import { migrations } from './migrations/index.ts'
import { StoreMigrationError } from './store-errors.ts'

/** Our own migration tables, so the schema never collides with an application's Kysely migrations. */
const MIGRATION_TABLE = 'tessera_migration'
const MIGRATION_LOCK_TABLE = 'tessera_migration_lock'

function failedMigrationName(results: readonly MigrationResult[] | undefined): string | undefined {
  return results?.find((result) => result.status === 'Error')?.migrationName
}

/**
 * Applies every pending migration and resolves the names it applied (empty when the schema was current).
 * Rejects with `StoreMigrationError` (the driver's error as `cause`) and leaves the schema as it was.
 *
 * `options.schema` (PostgreSQL) names the schema the connection's `search_path` creates tables in. Kysely
 * needs it for its own tables: without it, it looks for `tessera_migration` in every schema of the
 * database, and one found in another schema (another Tessera, a test) would pass for ours.
 *
 * @example
 * const { applied } = await migrateToLatest(db) // ['0001-initial'] on a new database, [] afterwards
 */
export async function migrateToLatest(
  db: Kysely<Database>,
  options: { readonly schema?: string } = {},
): Promise<{ applied: string[] }> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(options.schema === undefined ? {} : { migrationTableSchema: options.schema }),
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error !== undefined) throw new StoreMigrationError(failedMigrationName(results), { cause: error })
  return {
    applied: (results ?? [])
      .filter((result) => result.status === 'Success')
      .map((result) => result.migrationName),
  }
}
