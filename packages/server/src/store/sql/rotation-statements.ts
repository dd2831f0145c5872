/**
 * The statements of the refresh state machine's write transaction (`rotate-refresh-token.ts`), written
 * once as portable SQL and turned into the dialect's text once per store. They are hand-written rather
 * than built with Kysely's query builder on every call because a rotation runs them on every refresh,
 * and building and compiling the queries cost as much CPU as executing them (profile under a refresh
 * storm). Kysely still runs them, inside its transaction, on its connection.
 *
 * The session, the token and the user come back in one joined row. On PostgreSQL that read also locks
 * the session row (`FOR UPDATE OF s`): the lock order of every writer of a family (session-revocation.ts).
 */
import { CompiledQuery, type Transaction } from 'kysely'
import type { Database } from '../database-schema.ts'
import type { RefreshTokenRecord, SessionRecord } from '../ports.ts'
import { parseRefreshTokenRow, parseSessionRow, parseUserRow } from './parse-records.ts'
import type { RotationSubject } from './rotation-decision.ts'
import type { SqlDialectTraits } from './sql-dialect-traits.ts'

const SESSION_COLUMNS = [
  'id',
  'user_id',
  'client_id',
  'state',
  'created_at',
  'last_used_at',
  'expires_at',
  'ip',
  'user_agent',
  'revoked_at',
  'revoked_reason',
  'dpop_jkt',
] as const
const TOKEN_COLUMNS = [
  'id',
  'session_id',
  'token_hash',
  'state',
  'created_at',
  'expires_at',
  'rotated_at',
  'successor_id',
] as const
const USER_COLUMNS = [
  'id',
  'email',
  'name',
  'password_hash',
  'disabled',
  'not_before_at',
  'created_at',
  'updated_at',
] as const

const aliased = (alias: string, columns: readonly string[]): string =>
  columns.map((column) => `${alias}.${column} as ${alias}_${column}`).join(', ')

/**
 * The select list of a rotation subject: sessions `s`, refresh_tokens `t` and users `u`, each column
 * renamed `<alias>_<column>` so that the three tables' `id`, `state`, … do not collide.
 */
export const SUBJECT_COLUMNS_SQL = [
  aliased('s', SESSION_COLUMNS),
  aliased('t', TOKEN_COLUMNS),
  aliased('u', USER_COLUMNS),
].join(', ')

/** One table's columns out of a joined row, without their prefix, for that table's row parser. */
function columnsOf(row: unknown, alias: string, columns: readonly string[]): unknown {
  if (typeof row !== 'object' || row === null) return row
  const values = row as Readonly<Record<string, unknown>>
  const picked: Record<string, unknown> = {}
  for (const column of columns) picked[column] = values[`${alias}_${column}`]
  return picked
}

/**
 * Parses a row selected with {@link SUBJECT_COLUMNS_SQL}. A user column set that is all null (the left
 * join found no user) gives `user: undefined`.
 *
 * @example
 * const subject = parseRotationSubject(rows[0])
 */
export function parseRotationSubject(row: unknown): RotationSubject {
  const userId = typeof row === 'object' && row !== null && 'u_id' in row ? row.u_id : undefined
  return {
    session: parseSessionRow(columnsOf(row, 's', SESSION_COLUMNS)),
    token: parseRefreshTokenRow(columnsOf(row, 't', TOKEN_COLUMNS)),
    user: userId === null ? undefined : parseUserRow(columnsOf(row, 'u', USER_COLUMNS)),
  }
}

const PORTABLE_SQL = {
  findSubject: `select ${SUBJECT_COLUMNS_SQL}
    from refresh_tokens t
    join sessions s on s.id = t.session_id
    left join users u on u.id = s.user_id
    where t.token_hash = ?`,
  findToken: `select ${TOKEN_COLUMNS.join(', ')} from refresh_tokens where token_hash = ?`,
  findTokenById: `select ${TOKEN_COLUMNS.join(', ')} from refresh_tokens where id = ?`,
  // The winner among simultaneous callers: only one finds the token still active.
  markRotated: `update refresh_tokens set state = 'rotated', rotated_at = ?, successor_id = ?
    where id = ? and state = 'active' and expires_at > ?`,
  recordRotation: 'update sessions set last_used_at = ?, ip = ?, user_agent = ? where id = ?',
  recordReplay: 'update sessions set last_used_at = ? where id = ?',
  insertToken: `insert into refresh_tokens
    (id, session_id, token_hash, state, created_at, expires_at, rotated_at, successor_id)
    values (?, ?, ?, ?, ?, ?, ?, ?)`,
} as const

type StatementName = keyof typeof PORTABLE_SQL

/** The rotation's statements in one dialect, run inside a write transaction the caller holds. */
export class RotationStatements {
  readonly #sql: Readonly<Record<StatementName, string>>

  constructor(traits: SqlDialectTraits) {
    const lock = traits.supportsRowLocks ? ' for update of s' : ''
    const portable = { ...PORTABLE_SQL, findSubject: `${PORTABLE_SQL.findSubject}${lock}` }
    const entries = Object.entries(portable).map(([name, text]) => [name, traits.toDialectSql(text)])
    this.#sql = Object.freeze(Object.fromEntries(entries) as Record<StatementName, string>)
  }

  /** The session of the token (locked where rows lock), the token and the session's user. */
  async findSubject(trx: Transaction<Database>, tokenHash: string): Promise<RotationSubject | undefined> {
    const [row] = await this.#rows(trx, 'findSubject', [tokenHash])
    return row === undefined ? undefined : parseRotationSubject(row)
  }

  async findToken(trx: Transaction<Database>, tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    const [row] = await this.#rows(trx, 'findToken', [tokenHash])
    return row === undefined ? undefined : parseRefreshTokenRow(row)
  }

  async findTokenById(trx: Transaction<Database>, id: string): Promise<RefreshTokenRecord | undefined> {
    const [row] = await this.#rows(trx, 'findTokenById', [id])
    return row === undefined ? undefined : parseRefreshTokenRow(row)
  }

  /**
   * Retires `tokenId` in favour of `successor` and records the use on the session, or writes nothing and
   * resolves false when the token is no longer active and unexpired (another caller rotated it first).
   */
  async rotate(
    trx: Transaction<Database>,
    change: {
      readonly tokenId: string
      readonly now: number
      readonly session: SessionRecord
      readonly successor: RefreshTokenRecord
    },
  ): Promise<boolean> {
    const { tokenId, now, session, successor } = change
    const marked = await this.#run(trx, 'markRotated', [now, successor.id, tokenId, now])
    if (marked === 0n) return false
    await this.#run(trx, 'recordRotation', [session.lastUsedAt, session.ip, session.userAgent, session.id])
    await this.#run(trx, 'insertToken', [
      successor.id,
      successor.sessionId,
      successor.tokenHash,
      successor.state,
      successor.createdAt,
      successor.expiresAt,
      successor.rotatedAt,
      successor.successorId,
    ])
    return true
  }

  /** Records a replay within the grace window: only `last_used_at` moves. */
  async recordReplay(trx: Transaction<Database>, sessionId: string, now: number): Promise<void> {
    await this.#run(trx, 'recordReplay', [now, sessionId])
  }

  async #rows(trx: Transaction<Database>, name: StatementName, parameters: unknown[]): Promise<unknown[]> {
    const result = await trx.executeQuery<unknown>(CompiledQuery.raw(this.#sql[name], parameters))
    return result.rows
  }

  async #run(trx: Transaction<Database>, name: StatementName, parameters: unknown[]): Promise<bigint> {
    const result = await trx.executeQuery(CompiledQuery.raw(this.#sql[name], parameters))
    return result.numAffectedRows ?? 0n
  }
}
