/**
 * The refresh state machine (`Sessions.rotateRefreshToken`) as one write transaction: read the session,
 * the token and the user in one statement, let `decideRotation` say what happens, then write it.
 *
 * The conditional `UPDATE … SET state = 'rotated' WHERE id = ? AND state = 'active' AND expires_at > ?`
 * picks the single winner among simultaneous callers. The losers waited for the winner's commit (SQLite:
 * for the write lock, at `BEGIN IMMEDIATE`; PostgreSQL: for the session's row lock), so they find the
 * token rotated moments ago and answer `grace` with the same successor.
 */
import type { Transaction } from 'kysely'
import type { Database } from '../database-schema.ts'
import type { RotateInput, RotateOutcome } from '../ports.ts'
import { StoreRowInvalidError } from '../store-errors.ts'
import { decideRotation, previousUseOf, type RotationSubject, rotationResult } from './rotation-decision.ts'
import type { RotationStatements } from './rotation-statements.ts'
import { revokeSessionAndTokens } from './session-revocation.ts'

/** Why a session is revoked when a rotated token comes back after its grace window (SPEC §2). */
const REUSE_REASON = 'refresh_token_reused'

/**
 * Runs the refresh state machine inside `trx` (which must be a write transaction) and resolves what it
 * found and did, exactly as `RotateOutcome` documents.
 *
 * @example
 * const outcome = await runWriteTransaction(db, (trx) => rotateRefreshTokenIn(trx, statements, input))
 */
export async function rotateRefreshTokenIn(
  trx: Transaction<Database>,
  statements: RotationStatements,
  input: RotateInput,
): Promise<RotateOutcome> {
  let subject: RotationSubject | undefined = await statements.findSubject(trx, input.tokenHash)
  if (subject === undefined) return { kind: 'unknown' }
  let step = decideRotation(subject, input)
  if (step.kind === 'rotate') {
    const result = rotationResult(subject, input)
    const change = { tokenId: subject.token.id, now: input.now, ...result }
    if (await statements.rotate(trx, change)) {
      return { kind: 'rotated', ...result, user: subject.user, previousUse: previousUseOf(subject) }
    }
    // PostgreSQL locks only the session row, and re-reads only that row after waiting for its lock: the
    // joined token row may predate the rotation we waited for. Read it again, now that we hold the lock.
    // (Only an `active` token can be stale in a way that matters: a rotated token changes again only when
    // its family is revoked, and revocation changes the session row first, which is read fresh.)
    const token = await statements.findToken(trx, input.tokenHash)
    if (token === undefined) throw new Error('refresh token vanished inside its own write transaction')
    subject = { ...subject, token }
    step = decideRotation(subject, input)
    if (step.kind === 'rotate')
      throw new Error('refresh token changed state inside its own write transaction')
  }
  switch (step.kind) {
    case 'refuse':
      return step.outcome
    case 'replay_within_grace': {
      const successor = await statements.findTokenById(trx, step.successorId)
      if (successor === undefined) {
        throw new StoreRowInvalidError('refresh_tokens.successor_id', 'an existing token')
      }
      await statements.recordReplay(trx, subject.session.id, input.now)
      const session = { ...subject.session, lastUsedAt: input.now }
      return { kind: 'grace', session, successor, user: subject.user, previousUse: previousUseOf(subject) }
    }
    case 'revoke_family': {
      const change = { at: input.now, reason: REUSE_REASON }
      const revoked = await revokeSessionAndTokens(trx, subject.session.id, change)
      return { kind: 'reused', session: revoked ?? subject.session }
    }
  }
}
