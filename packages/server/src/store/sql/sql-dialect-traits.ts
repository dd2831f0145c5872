/**
 * What the shared SQL needs to know about the database underneath, and nothing more. SQLite supplies
 * one implementation (`sqlite/sqlite-dialect-traits.ts`); PostgreSQL will supply another. Starting write
 * transactions is not here: each dialect's Kysely driver owns `BEGIN` (SQLite's issues `BEGIN IMMEDIATE`,
 * see `sqlite/write-lock-dialect.ts`), so Kysely's Migrator gets the same treatment as the ports.
 */
export interface SqlDialectTraits {
  /**
   * True when `error` is a unique or primary-key violation raised by the driver (SQLite
   * `SQLITE_CONSTRAINT_UNIQUE` / `SQLITE_CONSTRAINT_PRIMARYKEY`, PostgreSQL SQLSTATE `23505`).
   */
  isUniqueViolation(error: unknown): boolean
  /**
   * Whether `SELECT … FOR UPDATE` exists. PostgreSQL locks rows, and the shared SQL takes a session's row
   * before its refresh tokens so that concurrent writers of one family queue instead of deadlocking.
   * SQLite has no row locks and needs none: `BEGIN IMMEDIATE` already holds the database's one write lock.
   */
  readonly supportsRowLocks: boolean
  /**
   * The dialect's text for a hand-written statement whose parameters are written `?` (SQLite's own marker;
   * PostgreSQL numbers them `$1`, `$2`, …). Only for the few precompiled hot statements
   * (`rotation-statements.ts`), which hold no `?` anywhere but as parameters.
   */
  toDialectSql(portableSql: string): string
}
