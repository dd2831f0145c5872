/**
 * The failures of the durable store, one class each with a stable `code` (like jose's `util/errors.ts`).
 * Messages name tables, columns and files, never a value read from a row: a row holds hashes, and a
 * driver's own message may quote them, so driver errors travel only as `cause`.
 */

/** Every code a store error can carry, for callers that switch on it. */
export type StoreErrorCode =
  | 'store_row_invalid'
  | 'store_busy'
  | 'store_migration_failed'
  | 'store_open_failed'

/** The common base, so callers can catch any store failure with one `instanceof`. */
export class StoreError extends Error {
  readonly code: StoreErrorCode

  constructor(code: StoreErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/**
 * A row read from the database does not have the shape the schema promises (a wrong type, an unknown
 * enum value, a missing column). Raised instead of coercing, so corruption or a hand edit surfaces at once.
 */
export class StoreRowInvalidError extends StoreError {
  static readonly code = 'store_row_invalid'
  declare readonly code: 'store_row_invalid'

  /** @param column `table.column`, e.g. `sessions.state`. */
  constructor(column: string, expected: string) {
    super('store_row_invalid', `${column}: expected ${expected}`)
  }
}

/** The database stayed locked by another writer for longer than the busy timeout. */
export class StoreBusyError extends StoreError {
  static readonly code = 'store_busy'
  declare readonly code: 'store_busy'

  constructor(busyTimeoutMs: number, options?: ErrorOptions) {
    super('store_busy', `the database stayed locked by another writer for ${busyTimeoutMs} ms`, options)
  }
}

/** A schema migration failed; the driver's error is the `cause`. */
export class StoreMigrationError extends StoreError {
  static readonly code = 'store_migration_failed'
  declare readonly code: 'store_migration_failed'

  constructor(migrationName: string | undefined, options?: ErrorOptions) {
    const subject =
      migrationName === undefined ? 'preparing the migration table' : `migration ${migrationName}`
    super('store_migration_failed', `${subject} failed`, options)
  }
}

/** The database file could not be created, opened or configured; the driver's error is the `cause`. */
export class StoreOpenError extends StoreError {
  static readonly code = 'store_open_failed'
  declare readonly code: 'store_open_failed'

  constructor(file: string, options?: ErrorOptions) {
    super('store_open_failed', `could not open the database at ${file}`, options)
  }
}
