/**
 * `Sessions` over any Kysely dialect: one session per login per device, each with its refresh-token
 * family. Every write is one transaction (`run-write-transaction.ts`); the rotation lives in
 * `rotate-refresh-token.ts`, revocation in `session-revocation.ts`. A dialect may first try a rotation as
 * one statement (PostgreSQL: one round trip, which autocommit makes its own transaction), or commit the
 * rotations of one event-loop turn together (SQLite: `rotation-group-commit.ts`).
 */
import { CompiledQuery, type Kysely } from 'kysely'
import type { Database } from '../database-schema.ts'
import type {
  NewRefreshToken,
  NewSession,
  RefreshTokenRecord,
  RevokedSessionRecord,
  RotateInput,
  RotateOutcome,
  SessionRecord,
  Sessions,
} from '../ports.ts'
import { parseSessionRow } from './parse-records.ts'
import { findRefreshTokenByHash, listRevokedSessionsSince } from './revocation-listing-sql.ts'
import { rotateRefreshTokenIn } from './rotate-refresh-token.ts'
import { RotationGroupCommit } from './rotation-group-commit.ts'
import { RotationStatements } from './rotation-statements.ts'
import { runWriteTransaction } from './run-write-transaction.ts'
import { revokeSessionAndTokens, revokeSessionsOfUser } from './session-revocation.ts'
import type { SqlDialectTraits } from './sql-dialect-traits.ts'

/**
 * A dialect's shortcut for the common case of a rotation: rotates a live token in one statement and
 * resolves `rotated`, or changes nothing and resolves undefined, leaving the decision to the shared write
 * transaction (`postgres/rotate-in-one-statement.ts`).
 */
export type RotateInOneStatement = (
  db: Kysely<Database>,
  input: RotateInput,
) => Promise<RotateOutcome | undefined>

// Written once and compiled once per store, like the rotation's statements (logout reads it with every
// refresh-token logout). Kysely's `id in (select …)` made SQLite build a temporary list on each call
// (22 µs against 14 µs for the join, measured with 50,000 tokens), besides building the query every time.
const SESSION_BY_TOKEN_HASH_SQL =
  'select s.* from refresh_tokens t join sessions s on s.id = t.session_id where t.token_hash = ?'

/** The `Sessions` port on SQL. */
export class SqlSessions implements Sessions {
  readonly #db: Kysely<Database>
  readonly #rotation: RotationStatements
  readonly #rotateInOneStatement: RotateInOneStatement | undefined
  readonly #groupCommit: RotationGroupCommit | undefined
  readonly #sessionByTokenHashSql: string

  constructor(
    db: Kysely<Database>,
    traits: SqlDialectTraits,
    options: {
      readonly rotateInOneStatement?: RotateInOneStatement
      /** Commit the rotations of one event-loop turn in one transaction (one synchronous connection only). */
      readonly groupCommitRotations?: boolean
    } = {},
  ) {
    this.#db = db
    this.#rotation = new RotationStatements(traits)
    this.#sessionByTokenHashSql = traits.toDialectSql(SESSION_BY_TOKEN_HASH_SQL)
    this.#rotateInOneStatement = options.rotateInOneStatement
    this.#groupCommit =
      options.groupCommitRotations === true ? new RotationGroupCommit(db, this.#rotation) : undefined
  }

  async start(session: NewSession, firstToken: NewRefreshToken): Promise<SessionRecord> {
    return await runWriteTransaction(this.#db, async (trx) => {
      const row = await trx
        .insertInto('sessions')
        .values({
          id: session.id,
          user_id: session.userId,
          client_id: session.clientId,
          state: 'active',
          created_at: session.createdAt,
          last_used_at: session.createdAt,
          expires_at: session.expiresAt,
          ip: session.ip,
          user_agent: session.userAgent,
          revoked_at: null,
          revoked_reason: null,
          dpop_jkt: session.dpopJkt ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
      await trx
        .insertInto('refresh_tokens')
        .values({
          id: firstToken.id,
          session_id: session.id,
          token_hash: firstToken.tokenHash,
          state: 'active',
          created_at: session.createdAt,
          // No token outlives its session, whatever the caller computed.
          expires_at: Math.min(firstToken.expiresAt, session.expiresAt),
          rotated_at: null,
          successor_id: null,
        })
        .execute()
      return parseSessionRow(row)
    })
  }

  async findById(id: string): Promise<SessionRecord | undefined> {
    const row = await this.#db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst()
    return row === undefined ? undefined : parseSessionRow(row)
  }

  async findByRefreshTokenHash(tokenHash: string): Promise<SessionRecord | undefined> {
    const query = CompiledQuery.raw(this.#sessionByTokenHashSql, [tokenHash])
    const [row] = (await this.#db.executeQuery<unknown>(query)).rows
    return row === undefined ? undefined : parseSessionRow(row)
  }

  async listActiveForUser(userId: string, now: number): Promise<SessionRecord[]> {
    const rows = await this.#db
      .selectFrom('sessions')
      .selectAll()
      .where('sessions.user_id', '=', userId)
      .where('sessions.state', '=', 'active')
      .where('sessions.expires_at', '>', now)
      // A session whose newest token passed its idle expiry can never refresh again: it is over.
      .where(({ exists, selectFrom, lit }) =>
        exists(
          selectFrom('refresh_tokens')
            .select(lit(1).as('live'))
            .whereRef('refresh_tokens.session_id', '=', 'sessions.id')
            .where('refresh_tokens.state', '=', 'active')
            .where('refresh_tokens.expires_at', '>', now),
        ),
      )
      .orderBy('sessions.last_used_at', 'desc')
      .orderBy('sessions.id')
      .execute()
    return rows.map(parseSessionRow)
  }

  async rotateRefreshToken(input: RotateInput): Promise<RotateOutcome> {
    // Queued before any await, so a close() called right after this call still finds it and answers it.
    if (this.#groupCommit !== undefined) return await this.#groupCommit.rotate(input)
    const rotated = await this.#rotateInOneStatement?.(this.#db, input)
    if (rotated !== undefined) return rotated
    return await runWriteTransaction(this.#db, (trx) => rotateRefreshTokenIn(trx, this.#rotation, input))
  }

  /** Resolves once every rotation asked for so far has been answered; the store waits for it on close. */
  async settled(): Promise<void> {
    await this.#groupCommit?.settled()
  }

  async revoke(id: string, change: { readonly at: number; readonly reason: string }): Promise<boolean> {
    const revoked = await runWriteTransaction(this.#db, (trx) => revokeSessionAndTokens(trx, id, change))
    return revoked !== undefined
  }

  async revokeAllForUser(
    userId: string,
    change: { readonly at: number; readonly reason: string; readonly exceptSessionId?: string },
  ): Promise<string[]> {
    return await runWriteTransaction(this.#db, (trx) => revokeSessionsOfUser(trx, userId, change))
  }

  async purgeEnded(before: number): Promise<number> {
    // Ended = past its absolute end, revoked, or idle: no token of the family lives until `before`.
    // Deleting the session deletes its tokens (ON DELETE CASCADE).
    const result = await runWriteTransaction(this.#db, (trx) =>
      trx
        .deleteFrom('sessions')
        .where((eb) =>
          eb.or([
            eb('sessions.expires_at', '<', before),
            eb.and([eb('sessions.state', '=', 'revoked'), eb('sessions.revoked_at', '<', before)]),
            eb.not(
              eb.exists(
                eb
                  .selectFrom('refresh_tokens')
                  .select(eb.lit(1).as('live'))
                  .whereRef('refresh_tokens.session_id', '=', 'sessions.id')
                  .where('refresh_tokens.expires_at', '>=', before),
              ),
            ),
          ]),
        )
        .executeTakeFirst(),
    )
    return Number(result.numDeletedRows)
  }

  async listRevokedSince(since: number): Promise<RevokedSessionRecord[]> {
    return await listRevokedSessionsSince(this.#db, since)
  }

  async findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    return await findRefreshTokenByHash(this.#db, tokenHash)
  }
}
