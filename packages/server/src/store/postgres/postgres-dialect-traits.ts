/**
 * PostgreSQL's answers to the questions the shared SQL asks (`sql/sql-dialect-traits.ts`), plus the
 * SQLSTATE reading the PostgreSQL driver's error mapping needs. node-postgres reports the server's
 * five-character SQLSTATE as a string `code` on its `DatabaseError`; that code, never the message, is
 * what we look at (messages are localised and may quote row values).
 */
import { DatabaseError } from 'pg'
import type { SqlDialectTraits } from '../sql/sql-dialect-traits.ts'

/** SQLSTATE `unique_violation` (PostgreSQL Appendix A, class 23: integrity constraint violation). */
const UNIQUE_VIOLATION = '23505'

/**
 * The SQLSTATE of an error raised by the PostgreSQL server, or undefined for anything else (a socket
 * error, a pool timeout, a bug).
 *
 * @example
 * if (postgresSqlState(error) === '40P01') retryAfterDeadlock()
 */
export function postgresSqlState(error: unknown): string | undefined {
  if (!(error instanceof DatabaseError)) return undefined
  return typeof error.code === 'string' && error.code.length === 5 ? error.code : undefined
}

/**
 * The traits of PostgreSQL as reached through node-postgres.
 *
 * @example
 * const store = new SqlStore({ kind: 'postgres', db, traits: postgresDialectTraits })
 */
export const postgresDialectTraits: SqlDialectTraits = Object.freeze({
  isUniqueViolation(error: unknown): boolean {
    // A primary-key collision is a unique violation too in PostgreSQL: same SQLSTATE.
    return postgresSqlState(error) === UNIQUE_VIOLATION
  },
  supportsRowLocks: true,
  toDialectSql(portableSql: string): string {
    let position = 0
    return portableSql.replaceAll('?', () => `$${++position}`)
  },
})
