import { createHash } from 'node:crypto'
import Database from 'better-sqlite3'
import type { TestServer } from '../../support/test-server.ts'

/**
 * "Nothing changed" for attacks on sign-in and sessions: the rows of users (password hashes, disabled
 * flags), sessions and refresh tokens, counted and digested through a second, read-only connection. Other
 * tables (security events, signing keys) may legitimately move while an attack is refused, so they are not
 * part of it.
 */
export interface AccountState {
  readonly users: number
  readonly sessions: number
  readonly refreshTokens: number
  /** SHA-256 over every row of the three tables. */
  readonly digest: string
}

const TABLES = ['users', 'sessions', 'refresh_tokens'] as const

/**
 * Reads the account state of a test server's SQLite database.
 *
 * @example
 * const before = accountState(t)
 * // … the attack …
 * assert.deepEqual(accountState(t), before)
 */
export function accountState(server: TestServer): AccountState {
  const file = server.server.services.databaseFile
  if (file === undefined) throw new Error('accountState needs a SQLite test server')
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const hash = createHash('sha256')
    const counts: number[] = []
    for (const table of TABLES) {
      const rows = db.prepare(`SELECT * FROM ${table} ORDER BY 1`).all()
      counts.push(rows.length)
      hash.update(`${table}\n${JSON.stringify(rows)}\n`)
    }
    const [users = 0, sessions = 0, refreshTokens = 0] = counts
    return { users, sessions, refreshTokens, digest: hash.digest('hex') }
  } finally {
    db.close()
  }
}

/**
 * Argon2 operations (hashes and verifies) the server's password hasher has completed so far: the seam that
 * shows "the same work" without timing anything.
 *
 * @example
 * const before = hashingOperations(t)
 */
export function hashingOperations(server: TestServer): number {
  return server.server.services.hasher.stats().completedTotal
}
