/**
 * The refresh state machine (`Sessions.rotateRefreshToken`) as one write transaction.
 *
 * The conditional `UPDATE … SET state = 'rotated' WHERE token_hash = ? AND state = 'active' AND
 * expires_at > ?` picks the single winner among simultaneous callers. The losers waited for the winner's
 * commit (SQLite: for the write lock, at `BEGIN IMMEDIATE`; PostgreSQL: for the session's row lock), so
 * when they read the token they find it rotated moments ago and answer `grace` with the same successor.
 */
import type { Transaction } from 'kysely'
import type { Database } from '../database-schema.ts'
import type { RefreshTokenRecord, RotateInput, RotateOutcome, SessionRecord } from '../ports.ts'
import { StoreRowInvalidError } from '../store-errors.ts'
import { parseRefreshTokenRow, parseSessionRow } from './parse-records.ts'
import { revokeSessionAndTokens } from './session-revocation.ts'
import type { SqlDialectTraits } from './sql-dialect-traits.ts'

/** Why a session is revoked when a rotated token comes back after its grace window (SPEC §2). */
const REUSE_REASON = 'refresh_token_reused'

async function lockSessionOfToken(
  trx: Transaction<Database>,
  traits: SqlDialectTraits,
  tokenHash: string,
): Promise<SessionRecord | undefined> {
  // Session row first, tokens after: the lock order of every family writer (see session-revocation.ts).
  const row = await trx
    .selectFrom('sessions')
    .selectAll()
    .where((eb) =>
      eb(
        'id',
        'in',
        eb
          .selectFrom('refresh_tokens')
          .select('refresh_tokens.session_id')
          .where('refresh_tokens.token_hash', '=', tokenHash),
      ),
    )
    .$if(traits.supportsRowLocks, (query) => query.forUpdate())
    .executeTakeFirst()
  return row === undefined ? undefined : parseSessionRow(row)
}

async function completeRotation(
  trx: Transaction<Database>,
  session: SessionRecord,
  input: RotateInput,
): Promise<RotateOutcome> {
  const sessionRow = await trx
    .updateTable('sessions')
    .set({ last_used_at: input.now, ip: input.ip, user_agent: input.userAgent })
    .where('id', '=', session.id)
    .returningAll()
    .executeTakeFirstOrThrow()
  const successorRow = await trx
    .insertInto('refresh_tokens')
    .values({
      id: input.successor.id,
      session_id: session.id,
      token_hash: input.successor.tokenHash,
      state: 'active',
      created_at: input.now,
      // The idle lifetime restarts; the session's absolute end does not move.
      expires_at: Math.min(input.now + input.idleSeconds, session.expiresAt),
      rotated_at: null,
      successor_id: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return {
    kind: 'rotated',
    session: parseSessionRow(sessionRow),
    successor: parseRefreshTokenRow(successorRow),
  }
}

async function answerWithinGrace(
  trx: Transaction<Database>,
  session: SessionRecord,
  successorId: string,
  now: number,
): Promise<RotateOutcome> {
  const successorRow = await trx
    .selectFrom('refresh_tokens')
    .selectAll()
    .where('id', '=', successorId)
    .executeTakeFirst()
  if (successorRow === undefined) {
    throw new StoreRowInvalidError('refresh_tokens.successor_id', 'an existing token')
  }
  const sessionRow = await trx
    .updateTable('sessions')
    .set({ last_used_at: now })
    .where('id', '=', session.id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return {
    kind: 'grace',
    session: parseSessionRow(sessionRow),
    successor: parseRefreshTokenRow(successorRow),
  }
}

async function classifyUnrotated(
  trx: Transaction<Database>,
  session: SessionRecord,
  token: RefreshTokenRecord,
  input: RotateInput,
): Promise<RotateOutcome> {
  const { now } = input
  if (session.state === 'revoked' || token.state === 'revoked') return { kind: 'session_revoked', session }
  if (session.clientId !== input.clientId) return { kind: 'client_mismatch' }
  if (token.expiresAt <= now || session.expiresAt <= now) return { kind: 'expired' }
  if (token.state !== 'rotated') {
    // Active, unexpired, right client, live session: the UPDATE above would have matched it.
    throw new Error('refresh token changed state inside its own write transaction')
  }
  if (token.rotatedAt === null) {
    throw new StoreRowInvalidError('refresh_tokens.rotated_at', 'an instant on a rotated token')
  }
  if (token.successorId === null) {
    throw new StoreRowInvalidError('refresh_tokens.successor_id', 'an id on a rotated token')
  }
  // Parallel tabs, retries and lost responses present the parent again within seconds: same successor.
  if (now - token.rotatedAt <= input.graceSeconds) {
    return await answerWithinGrace(trx, session, token.successorId, now)
  }
  // RFC 9700 §4.14.2: a rotated token seen again after the grace window means two parties hold the
  // family, one of them a thief; kill the whole family.
  const revoked = await revokeSessionAndTokens(trx, session.id, { at: now, reason: REUSE_REASON })
  return { kind: 'reused', session: revoked ?? session }
}

/**
 * Runs the refresh state machine inside `trx` (which must be a write transaction) and resolves what it
 * found and did, exactly as `RotateOutcome` documents.
 *
 * @example
 * const outcome = await runWriteTransaction(db, (trx) => rotateRefreshTokenIn(trx, traits, input))
 */
export async function rotateRefreshTokenIn(
  trx: Transaction<Database>,
  traits: SqlDialectTraits,
  input: RotateInput,
): Promise<RotateOutcome> {
  const { now, tokenHash } = input
  const session = await lockSessionOfToken(trx, traits, tokenHash)
  if (session === undefined) return { kind: 'unknown' }
  const isSessionUsable =
    session.state === 'active' && session.clientId === input.clientId && session.expiresAt > now
  const rotatedRow = isSessionUsable
    ? await trx
        .updateTable('refresh_tokens')
        .set({ state: 'rotated', rotated_at: now, successor_id: input.successor.id })
        .where('token_hash', '=', tokenHash)
        .where('state', '=', 'active')
        .where('expires_at', '>', now)
        .returning('id')
        .executeTakeFirst()
    : undefined
  if (rotatedRow !== undefined) return await completeRotation(trx, session, input)
  const tokenRow = await trx
    .selectFrom('refresh_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirstOrThrow()
  return await classifyUnrotated(trx, session, parseRefreshTokenRow(tokenRow), input)
}
