/**
 * SQLite's answers to the questions the shared SQL asks (`sql/sql-dialect-traits.ts`), plus the error
 * classification the SQLite driver itself needs. better-sqlite3 reports SQLite's extended result code
 * as a string `code` on its `SqliteError`; that code, not the message, is what we look at.
 */
import type { SqlDialectTraits } from '../sql/sql-dialect-traits.ts'

function sqliteErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined
  return typeof error.code === 'string' ? error.code : undefined
}

/**
 * True when SQLite could not take a lock because another connection holds it (`SQLITE_BUSY` and its
 * extended codes).
 *
 * @example
 * try { database.exec('begin immediate') } catch (error) { if (!isSqliteBusy(error)) throw error }
 */
export function isSqliteBusy(error: unknown): boolean {
  return sqliteErrorCode(error)?.startsWith('SQLITE_BUSY') === true
}

/**
 * The traits of SQLite as reached through better-sqlite3.
 *
 * @example
 * const users = new SqlUsers(db, sqliteDialectTraits)
 */
export const sqliteDialectTraits: SqlDialectTraits = Object.freeze({
  isUniqueViolation(error: unknown): boolean {
    const code = sqliteErrorCode(error)
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  },
  supportsRowLocks: false,
  toDialectSql: (portableSql: string): string => portableSql,
})
